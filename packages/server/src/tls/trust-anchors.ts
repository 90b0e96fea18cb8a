import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate, Server as TlsServer, TLSSocket } from 'node:tls';
import { selectTrustAnchor, trustAnchorPlmnKeys } from '@sepp/protocol';
import type { SeppConfig, TrustAnchorSettings } from '../config/sepp-config';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import { certificateDnsNames, peerDnsNames } from './certificate-names';

/**
 * Per-PLMN trust anchors on N32 (TS 33.501 13.1.2, N32-DIGEST §7.3), after the TLS handshake.
 *
 * Node's TLS stack verifies a peer chain against ONE store, so the N32 store holds the roots of
 * every anchor (and `tls.ca`): that proves the chain is sound (signatures, validity, CA flags) but
 * not that it ends at the right anchor. Right after the handshake, the peer's end-entity
 * certificate names its PLMN IDs; `selectTrustAnchor` picks THE anchor for them and the chain the
 * peer presented is walked again, by signature, until it reaches one of that anchor's roots. A
 * certificate whose PLMNs map to several anchors or to none, or whose chain only reaches another
 * anchor's root (C3: PLMN1 signed by RCA2), is refused before any N32 message is read.
 */

/** Why a peer failed the anchor check: logs say `reason: trust_anchor`, plus this detail. */
export type TrustAnchorVerdict = { readonly ok: true; readonly anchor: number } | { readonly ok: false; readonly detail: string };

/** Longest chain walked (leaf, intermediates, root): far more than any operator PKI uses. */
const MAX_CHAIN = 8;

const parsedRoots = new WeakMap<TrustAnchorSettings, X509Certificate[]>();

function rootsOf(anchor: TrustAnchorSettings): X509Certificate[] {
  let roots = parsedRoots.get(anchor);
  if (!roots) {
    // A PEM file may hold several roots.
    roots = anchor.ca.flatMap((pem) => splitPem(pem.toString('utf8')).map((text) => new X509Certificate(text)));
    parsedRoots.set(anchor, roots);
  }
  return roots;
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The certificates the peer presented (end-entity first), as Node links them. */
export function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (current?.raw && !seen.has(current.fingerprint256) && chain.length < MAX_CHAIN * 2) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

const validAt = (cert: X509Certificate, now: Date): boolean => new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
const issuedBy = (cert: X509Certificate, issuer: X509Certificate): boolean => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);

/**
 * Whether `chain[0]` reaches one of `roots` through CA certificates of `chain`, each link checked
 * by signature and validity. The roots of other anchors may sit in `chain` (Node appends the root
 * it found in its store): they are just CA certificates that never end the walk.
 */
export function chainsToRoots(chain: readonly X509Certificate[], roots: readonly X509Certificate[], now = new Date()): boolean {
  let current = chain[0];
  for (let depth = 0; current && depth < MAX_CHAIN; depth++) {
    if (!validAt(current, now)) return false;
    const cert: X509Certificate = current;
    if (roots.some((root) => root.fingerprint256 === cert.fingerprint256)) return true;
    const root = roots.find((candidate) => issuedBy(cert, candidate));
    if (root) return validAt(root, now);
    current = chain.find((candidate) => candidate.ca && candidate.fingerprint256 !== cert.fingerprint256 && issuedBy(cert, candidate));
  }
  return false;
}

/**
 * The anchor check of a peer (either side of N32), or null when no anchors are configured.
 * Call it on a socket whose TLS handshake verified the peer (`authorized`).
 */
export function checkTrustAnchor(socket: TLSSocket, config: SeppConfig, now = new Date()): TrustAnchorVerdict | null {
  const anchors = config.n32.trustAnchors;
  if (anchors.length === 0) return null;
  const chain = peerChain(socket);
  if (chain.length === 0) return { ok: false, detail: 'no peer certificate' };
  const dnsNames = certificateDnsNames(chain[0]!);
  const selection = selectTrustAnchor(trustAnchorPlmnKeys(dnsNames, config.n32.peers), anchors);
  if (!selection.ok) return { ok: false, detail: selection.detail };
  if (!chainsToRoots(chain, rootsOf(anchors[selection.index]!), now)) {
    return { ok: false, detail: `the certificate does not chain to the roots of n32.trustAnchors[${selection.index}], the trust anchor of its PLMNs` };
  }
  return { ok: true, anchor: selection.index };
}

/** Why the peer on `socket` fails the anchor check, or null when it passes (or no anchors are configured). */
export function trustAnchorFailure(socket: TLSSocket, config: SeppConfig): string | null {
  try {
    const verdict = checkTrustAnchor(socket, config);
    return verdict && !verdict.ok ? verdict.detail : null;
  } catch (error) {
    return `the peer chain cannot be checked: ${(error as Error).message}`;
  }
}

/**
 * Server side: every connection of an N32 listener is checked once its handshake is done, BEFORE
 * the HTTP/2 server's own `secureConnection` listener sees it (prepended): a TLS 1.3 client sends
 * its first requests right behind its Finished, and a session attached first would turn those
 * into streams. A refused peer is logged as a failed handshake with `reason: trust_anchor` and its
 * socket destroyed; the HTTP/2 server then gets a dead socket and never emits a stream for it.
 */
export function enforceTrustAnchors(server: TlsServer, runtime: SeppRuntime, listener: string): void {
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const failure = trustAnchorFailure(socket, runtime.config.current);
    if (failure === null) return;
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    const remoteAddress = socket.remoteAddress ?? raw?.remoteAddress;
    runtime.metrics.tlsHandshakeFailed(listener, 'trust_anchor', { remoteAddress, peer: peerDnsNames(socket)[0], detail: failure });
    runtime.logger.warn(
      {
        listener,
        remoteAddress,
        remotePort: socket.remotePort ?? raw?.remotePort,
        reason: 'trust_anchor',
        certificate: peerDnsNames(socket),
        error: `client certificate refused: ${failure}`,
      },
      'TLS handshake failed',
    );
    socket.destroy();
  });
}
