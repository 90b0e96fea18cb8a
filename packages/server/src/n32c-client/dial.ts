import { N32ConnectionError, type N32Connection } from '../n32c/n32-connection';
import { classifyTlsFailure, type SeppMetrics } from '../metrics/sepp-metrics';

/** Connection errors that say nothing about TLS (the peer is not there, or went away). */
const NOT_TLS = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'];

/**
 * Opens an N32 connection to a peer, counting a TLS handshake that fails in
 * `sepp_tls_handshake_failures_total{side="client"}` (the client side of that metric).
 */
export async function dialPeer(open: () => Promise<N32Connection>, metrics: SeppMetrics): Promise<N32Connection> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof N32ConnectionError && !NOT_TLS.includes(error.code)) {
      metrics.tlsHandshakeFailures.inc({ side: 'client', reason: classifyTlsFailure(error.code, error.message) });
    }
    throw error;
  }
}
