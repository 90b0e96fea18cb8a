import type { TLSSocket } from 'node:tls';
import type { OnRefused, RequestOrigin } from '../problem/problem-details.filter';
import { peerDnsNames } from '../tls/certificate-names';
import { refusalOfError } from './refusal-categories';
import type { Refusal } from './refusal-log';

/**
 * What a listener's problem filter calls for every request it refused (bad N32-c input, an
 * unknown sender, a wrong method...): one entry of the refusal list, with the name the client
 * certificate gives when there is one.
 */
export function listenerRefusals(sink: { refuse(refusal: Refusal): void }, listener: string): OnRefused {
  return (exception, problem, request) => {
    const { category, cause, detail } = refusalOfError(exception, problem);
    sink.refuse({ category, cause, listener, peer: clientCertificateName(request), remoteAddress: request.ip, detail });
  };
}

/** The first SAN dNSName of the client certificate on a request's connection, if it has one. */
export function clientCertificateName(request: Pick<RequestOrigin, 'raw'>): string | undefined {
  const raw = request.raw;
  const socket = (raw.stream?.session?.socket ?? raw.socket) as TLSSocket | undefined;
  return socket && typeof socket.getPeerCertificate === 'function' ? peerDnsNames(socket)[0] : undefined;
}
