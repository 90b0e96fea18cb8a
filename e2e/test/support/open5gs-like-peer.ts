import { N32C_PATHS } from '@sepp/protocol';
import type { PlmnId } from '@sepp/infra';
import { FakeResponder, type FakeAnswer, type FakeRequest } from './fake-responder';
import { H2Client, type H2Answer } from './h2-client';
import type { CertFiles, TestPki } from './pki';

/** Open5GS's default SEPP identity: a lab FQDN without PLMN labels, test PLMN 999-70. */
export const LAB_FQDN = 'sepp1.localdomain';
export const LAB_PLMN: PlmnId = { mcc: '999', mnc: '70' };

/** TS 29.500 date format, RFC 1123 with milliseconds: `Fri, 27 Nov 2026 17:37:21.123 GMT`. */
function sbiTimestamp(now = new Date()): string {
  return now.toUTCString().replace(' GMT', `.${String(now.getUTCMilliseconds()).padStart(3, '0')} GMT`);
}

/** An answer of the peer's N32-c server, or a promise of it (the test may hold it back). */
export type HandshakeAnswer = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

/**
 * A SEPP scripted to behave as Open5GS's SEPP (v2.8.0) does toward a roaming partner:
 *
 * - as N32-c client it negotiates **once** (`negotiate()`: its exchange-capability body, key
 *   order and all, offering TLS) and from then on considers the partner established for as long as
 *   it runs: no timer, no renegotiation, no reaction to errors;
 * - it sends N32-f (TLS mode, `3gpp-Sbi-Target-apiRoot`) on a **new** connection each time
 *   (`sendN32f()`), as its HTTP client pool does once earlier connections are gone;
 * - as N32-c server (the `address` our SEPP has for it) it answers an exchange-capability with TLS
 *   (`onExchangeCapability` replaces that answer: to hold it back, refuse, or answer NONE), and
 *   records what it receives (`handshakes`).
 */
export class Open5gsLikePeer {
  /** Replaces the N32-c server's answer to exchange-capability. */
  onExchangeCapability: HandshakeAnswer;
  /** The connections of its own negotiations, kept open. */
  private readonly pooled: H2Client[] = [];

  private constructor(
    private readonly server: FakeResponder,
    private readonly pki: TestPki,
    private readonly cert: CertFiles,
    /** The FQDN of the SEPP it talks to (our responder). */
    private readonly partner: string,
  ) {
    this.onExchangeCapability = () => this.tlsAnswer();
  }

  static async start(pki: TestPki, partner: string): Promise<Open5gsLikePeer> {
    const cert = await pki.leaf('open5gs-sepp1', [LAB_FQDN]);
    const self: { peer?: Open5gsLikePeer } = {};
    const server = await FakeResponder.start(cert, pki.ca.certPem, (request) => {
      if (request.headers[':path'] === N32C_PATHS.exchangeCapability) return self.peer!.onExchangeCapability(request);
      return { status: 404, contentType: 'application/problem+json', body: { status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' } };
    });
    self.peer = new Open5gsLikePeer(server, pki, cert, partner);
    return self.peer;
  }

  /** Its N32-c server's port (the `address` of its peer entry, `127.0.0.1:<port>`). */
  get port(): number {
    return this.server.port;
  }

  /** The exchange-capability requests its N32-c server received (from the SEPP it talks to). */
  get handshakes(): FakeRequest[] {
    return this.server.requests.filter((request) => request.headers[':path'] === N32C_PATHS.exchangeCapability);
  }

  /** Its N32-c server's answer when our SEPP negotiates: TLS, as Open5GS's SEPP selects it. */
  tlsAnswer(): FakeAnswer {
    return {
      status: 200,
      body: { sender: LAB_FQDN, selectedSecCapability: 'TLS', '3GppSbiTargetApiRootSupported': true, plmnIdList: [LAB_PLMN], supportedFeatures: '1' },
    };
  }

  /**
   * Its one exchange-capability, on a connection of its own that it keeps (its HTTP client pools
   * connections) until the other side closes it; it never negotiates again.
   */
  async negotiate(port: number, capabilities: readonly string[] = ['TLS']): Promise<H2Answer> {
    const client = await this.connect(port);
    this.pooled.push(client);
    const body =
      `{"sender":"${LAB_FQDN}","supportedSecCapabilityList":${JSON.stringify(capabilities)},"3GppSbiTargetApiRootSupported":true,` +
      `"plmnIdList":[{"mcc":"${LAB_PLMN.mcc}","mnc":"${LAB_PLMN.mnc}"}],"supportedFeatures":"1"}`;
    return client.request('POST', N32C_PATHS.exchangeCapability, body, {
      'content-type': 'application/json',
      'user-agent': 'SEPP',
      '3gpp-sbi-sender-timestamp': sbiTimestamp(),
      '3gpp-sbi-max-rsp-time': '10000',
    });
  }

  /** Its release, as at its shutdown: exchange-capability offering `["NONE"]` on a new connection. */
  async release(port: number): Promise<H2Answer> {
    const client = await this.connect(port);
    try {
      const body = `{"sender":"${LAB_FQDN}","supportedSecCapabilityList":["NONE"]}`;
      return await client.request('POST', N32C_PATHS.exchangeCapability, body, { 'content-type': 'application/json', 'user-agent': 'SEPP' });
    } finally {
      client.close();
    }
  }

  /** One N32-f request (TLS mode) on a new connection toward `targetApiRoot`. */
  async sendN32f(port: number, targetApiRoot: string, path: string): Promise<H2Answer & { ms: number }> {
    const started = performance.now();
    const client = await this.connect(port);
    try {
      const answer = await client.request('GET', path, undefined, { '3gpp-sbi-target-apiroot': targetApiRoot, 'user-agent': 'SEPP' });
      return { ...answer, ms: performance.now() - started };
    } finally {
      client.close();
    }
  }

  close(): Promise<void> {
    for (const client of this.pooled) client.close();
    return this.server.close();
  }

  private connect(port: number): Promise<H2Client> {
    return H2Client.open(port, this.partner, this.pki.clientTls(this.cert));
  }
}
