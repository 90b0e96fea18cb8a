import { X509Certificate, type KeyObject } from 'node:crypto';
import type { InvalidParam } from '../../models/common-data';
import { normalizeFqdn } from '../../identifiers/plmn';
import type { IpxProviderSecInfoData } from '../messages/bodies';
import { isP256Key, publicKeyOf, spkiBase64, type PublicKeyInput } from './keys';

export interface IpxProviderSecInfoInput {
  /** The RI's FQDN: the `identity` of its JWS. */
  readonly ipxProviderId: string;
  /** Its ES256 public keys (or private keys, or certificates: the public key is taken). */
  readonly publicKeys?: readonly PublicKeyInput[];
  /** Its certificates (PEM text or X509Certificate). */
  readonly certificates?: readonly (string | X509Certificate)[];
}

/**
 * An RI's entry of `ipxProviderSecInfoList` (TS 29.573 IpxProviderSecInfo; N32-DIGEST §3.2 [D]):
 * `rawPublicKeyList` holds base64 (standard alphabet) DER SubjectPublicKeyInfo, `certificateList`
 * base64 DER X.509. A SEPP sends the entries of the RIs it authorizes in exchange-params.
 */
export function ipxProviderSecInfo(input: IpxProviderSecInfoInput): IpxProviderSecInfoData {
  const keys = (input.publicKeys ?? []).map(spkiBase64);
  const certificates = (input.certificates ?? []).map((cert) => (cert instanceof X509Certificate ? cert : new X509Certificate(cert)).raw.toString('base64'));
  return {
    ipxProviderId: normalizeFqdn(input.ipxProviderId),
    ...(keys.length > 0 ? { rawPublicKeyList: keys } : {}),
    ...(certificates.length > 0 ? { certificateList: certificates } : {}),
  };
}

/**
 * The RI keys a received `ipxProviderSecInfoList` carries, by normalized FQDN: the
 * `keysByIdentity` of {@link verifyModificationsBlock} for the N32-f context set up by that
 * exchange (and only that one). Entries are read leniently as base64 DER or PEM (the encoding is
 * not confirmed, N32-DIGEST §3.2); an entry that is neither, or not an EC P-256 key (ES256 is the
 * only JWS algorithm, 33.501 13.2.4.9), is reported in `invalid` with its pointer under `base`
 * and left out.
 */
export function ipxKeysFromSecInfo(
  list: readonly IpxProviderSecInfoData[] | undefined,
  base = '/ipxProviderSecInfoList',
): { keysByIdentity: Map<string, KeyObject[]>; invalid: InvalidParam[] } {
  const keysByIdentity = new Map<string, KeyObject[]>();
  const invalid: InvalidParam[] = [];
  (list ?? []).forEach((info, i) => {
    const identity = normalizeFqdn(info.ipxProviderId);
    const keys = keysByIdentity.get(identity) ?? [];
    const read = (entries: readonly string[] | undefined, member: 'rawPublicKeyList' | 'certificateList'): void => {
      (entries ?? []).forEach((text, j) => {
        const param = `${base}/${i}/${member}/${j}`;
        const key = member === 'rawPublicKeyList' ? readPublicKey(text) : readCertificateKey(text);
        if (!key) invalid.push({ param, reason: member === 'rawPublicKeyList' ? 'must be a base64 DER (or PEM) SubjectPublicKeyInfo' : 'must be a base64 DER (or PEM) X.509 certificate' });
        else if (!isP256Key(key)) invalid.push({ param, reason: 'must be an EC P-256 key (ES256)' });
        else keys.push(key);
      });
    };
    read(info.rawPublicKeyList, 'rawPublicKeyList');
    read(info.certificateList, 'certificateList');
    keysByIdentity.set(identity, keys);
  });
  return { keysByIdentity, invalid };
}

function readPublicKey(text: string): KeyObject | null {
  try {
    if (text.includes('-----BEGIN')) return publicKeyOf(text);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
    return publicKeyOf(Buffer.from(text, 'base64'));
  } catch {
    return null;
  }
}

function readCertificateKey(text: string): KeyObject | null {
  try {
    if (text.includes('-----BEGIN')) return new X509Certificate(text).publicKey;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
    return new X509Certificate(Buffer.from(text, 'base64')).publicKey;
  } catch {
    return null;
  }
}
