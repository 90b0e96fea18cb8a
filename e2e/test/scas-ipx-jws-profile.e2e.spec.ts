import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createPkiAB, FQDN_A } from './support/configs';
import { createIpxCerts, expectDelivered, expectRefused, IPX_FQDN, IpxPath, type IpxCerts } from './support/ipx';
import { TappedProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { craftJws, es256Jws, jwsHeaderOf, jwsPayloadOf, replaceJws, signers, TamperingRelay, type FlatJws, type HopView } from './support/tampering-relay';

jest.setTimeout(60_000);

const INTEGRITY = 'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED';

/**
 * TS 33.517 4.2.2.7 through the REAL processes (responder, IPX app, initiator; prins-ipx.e2e.spec.ts
 * path) with a TamperingRelay between the IPX app and the responder: the relay replaces the IPX's
 * JWS with one of the algorithm or header under test, over the same payload (the IPX's identity,
 * a null patch, this message's tag). Only ES256 with a key of this context may pass.
 */
describe('TC_JWS_PROFILE_RESTRICTION', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let ipx: IpxCerts;
  let ipxKey: KeyObject;
  let producer: TappedProducer;
  let relay: TamperingRelay | undefined;
  let path: IpxPath;
  const attacker = {
    p384: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
    p256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    ed25519: generateKeyPairSync('ed25519').privateKey,
  };

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    ipx = await createIpxCerts(pki);
    ipxKey = createPrivateKey(ipx.signing.keyPem);
    producer = await TappedProducer.start('udm1');
    path = await IpxPath.start(pki, certA, certB, producer, {
      name: 'ipx-jws',
      ipxCerts: ipx,
      between: async (responder) => {
        relay = await TamperingRelay.start({ serverCert: certA, clientCert: ipx.tls, ca: pki.ca.certPem, forward: { port: responder.port('n32'), servername: FQDN_A } });
        return relay;
      },
    });
  });

  afterEach(() => relay?.clearOnce());

  afterAll(async () => {
    await path?.stop();
    await relay?.close();
    await producer?.close();
  });

  /** The IPX's payload for this message: identity, null patch, the JWE tag. */
  const payloadOf = (hop: HopView): Record<string, unknown> => ({ identity: IPX_FQDN, operations: null, tag: hop.tag });
  const publicJwk = (key: KeyObject): Record<string, unknown> => key.export({ format: 'jwk' });
  const ipxPublic = (): KeyObject => createPublicKey(ipx.signing.keyPem);

  type Forge = (hop: HopView) => FlatJws;
  /** What is forged, what the refusal must name (so it is refused for the profile, not by chance), how. */
  const forged: [string, RegExp, Forge][] = [
    ['ES384 (P-384 key)', /alg "ES384"/, (hop) => craftJws({ alg: 'ES384' }, payloadOf(hop), signers.ecdsa('sha384', attacker.p384))],
    ['RS256 (RSA key)', /alg "RS256"/, (hop) => craftJws({ alg: 'RS256' }, payloadOf(hop), signers.rs256(attacker.rsa))],
    ['PS256 (RSA key)', /alg "PS256"/, (hop) => craftJws({ alg: 'PS256' }, payloadOf(hop), signers.ps256(attacker.rsa))],
    ['EdDSA (Ed25519 key)', /alg "EdDSA"/, (hop) => craftJws({ alg: 'EdDSA' }, payloadOf(hop), signers.eddsa(attacker.ed25519))],
    ['HS256 keyed with the IPX public key (PEM)', /alg "HS256"/, (hop) => craftJws({ alg: 'HS256' }, payloadOf(hop), signers.hs256(ipxPublic().export({ format: 'pem', type: 'spki' })))],
    ['HS256 keyed with the IPX public key (DER SPKI, as exchanged)', /alg "HS256"/, (hop) => craftJws({ alg: 'HS256' }, payloadOf(hop), signers.hs256(ipxPublic().export({ format: 'der', type: 'spki' })))],
    ['none (empty signature)', /alg "none"|"signature"/, (hop) => craftJws({ alg: 'none' }, payloadOf(hop), signers.none())],
    ['ES256 with an embedded jwk of the signing (attacker) key', /"jwk"/, (hop) => craftJws({ alg: 'ES256', jwk: publicJwk(attacker.p256.publicKey) }, payloadOf(hop), signers.ecdsa('sha256', attacker.p256.privateKey))],
    ['ES256 by the IPX key with an embedded jwk (of that very key)', /"jwk"/, (hop) => craftJws({ alg: 'ES256', jwk: publicJwk(ipxPublic()) }, payloadOf(hop), signers.ecdsa('sha256', ipxKey))],
    ['ES256 by the IPX key with its certificate in x5c', /"x5c"/, (hop) => craftJws({ alg: 'ES256', x5c: [ipxCertificateDer()] }, payloadOf(hop), signers.ecdsa('sha256', ipxKey))],
    ['ES256 by the IPX key with a DER (not raw R||S) signature', /octets/, (hop) => craftJws({ alg: 'ES256' }, payloadOf(hop), signers.ecdsa('sha256', ipxKey, 'der'))],
  ];

  function ipxCertificateDer(): string {
    const pem = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(ipx.signing.certPem)![1]!;
    return pem.replace(/\s+/g, '');
  }

  it('the IPX app signs ES256 (raw R||S) and the responder accepts it (control)', async () => {
    const { exchange } = await expectDelivered(path, relay!, producer);
    const [jws] = exchange.forwarded!.modificationsBlock!;
    expect(jwsHeaderOf(jws!)).toEqual({ alg: 'ES256' });
    expect(Buffer.from(jws!.signature, 'base64url')).toHaveLength(64);
  });

  it.each([
    ['ES256 by the IPX key, as the test signs it', (hop: HopView): FlatJws => es256Jws(IPX_FQDN, ipxKey, hop.tag)],
    ['ES256 by the IPX key with a kid', (hop: HopView): FlatJws => es256Jws(IPX_FQDN, ipxKey, hop.tag, null, 'ipx-2025')],
  ])('a proper JWS is accepted and the request reaches the producer: %s', async (_, forge) => {
    relay!.onceRequest((message, hop) => replaceJws(message, -1, forge(hop)));
    const { exchange } = await expectDelivered(path, relay!, producer);
    expect(exchange.forwarded!.modificationsBlock).not.toEqual(exchange.received.modificationsBlock);
  });

  it.each(forged)('a JWS with %s is refused (INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED), nothing reaches the NF; a clean request passes after it', async (_, why, forge) => {
    relay!.onceRequest((message, hop) => replaceJws(message, -1, forge(hop)));
    const { exchange } = await expectRefused(path, relay!, producer, { type: INTEGRITY, ipxIds: [IPX_FQDN] });
    expect((exchange.answer as { detail: string }).detail).toMatch(why);
    // What went to the responder: one JWS, the IPX's payload for this very message, the forged header.
    const block = exchange.forwarded!.modificationsBlock!;
    expect(block).toHaveLength(1);
    expect(jwsPayloadOf(block[0]!)).toEqual({ identity: IPX_FQDN, operations: null, tag: exchange.forwarded!.reformattedData.tag });
    await expectDelivered(path, relay!, producer);
  });
});
