import { createPublicKey, X509Certificate } from 'node:crypto';
import { normalizeFqdn } from '@sepp/protocol';
import type { ConfigProblem } from './config-problems';
import { readPem } from './read-tls';
import type { ListenAddress, PeerIpxSettings } from './sepp-config';
import type { PeerConfig } from './sepp-config.schema';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/**
 * `n32.peers[i].ipx`: the IPX relay toward a peer. Needs `intermediaries: modifying` (the policy
 * that puts a modifying RI on the path). Every file must hold PEM certificates or public keys of
 * EC P-256 keys (ES256 is the only JWS algorithm on N32, TS 33.501 13.2.4.9); private keys are
 * refused (the SEPP never holds an RI's private key).
 */
export function readPeerIpx(
  peer: PeerConfig,
  index: number,
  pathOf: (key: string, value: string) => string,
  parseHostPort: (text: string) => ListenAddress,
  problems: ConfigProblem[],
): PeerIpxSettings | null {
  const ipx = peer.ipx;
  if (!ipx) return null;
  const base = `n32.peers[${index}].ipx`;
  if ((peer.intermediaries ?? 'none') !== 'modifying') {
    problems.push({ key: `n32.peers[${index}].intermediaries`, problem: 'must be modifying when ipx is set (a modifying IPX is on the path)' });
  }
  const publicKeys: string[] = [];
  const certificates: string[] = [];
  ipx.signingKeys.forEach((file, i) => {
    const key = `${base}.signingKeys[${i}]`;
    const path = pathOf(key, file);
    const pem = readPem(key, path, problems);
    if (!pem) return;
    const blocks = [...pem.toString('utf8').matchAll(PEM_BLOCK)];
    if (blocks.length === 0) {
      problems.push({ key, problem: `${path} holds no PEM certificate or public key` });
      return;
    }
    for (const [block, label] of blocks) {
      try {
        if (label === 'CERTIFICATE') {
          const certificate = new X509Certificate(block);
          if (!isP256(certificate.publicKey)) throw new Error('not P-256');
          certificates.push(certificate.toString());
          publicKeys.push(certificate.publicKey.export({ type: 'spki', format: 'pem' }).toString());
        } else if (label === 'PUBLIC KEY') {
          const publicKey = createPublicKey(block);
          if (!isP256(publicKey)) throw new Error('not P-256');
          publicKeys.push(publicKey.export({ type: 'spki', format: 'pem' }).toString());
        } else {
          problems.push({ key, problem: `${path} holds a ${label}: give the IPX's certificate or public key, never a private key` });
        }
      } catch {
        problems.push({ key, problem: `${path}: must hold EC P-256 (ES256) certificates or public keys` });
      }
    }
  });
  return {
    fqdn: normalizeFqdn(ipx.fqdn),
    dial: ipx.address ? parseHostPort(ipx.address) : null,
    publicKeys,
    certificates,
  };
}

function isP256(key: ReturnType<typeof createPublicKey>): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}
