/**
 * Fixtures for the specs of this folder (not exported from the package barrel): RI and SEPP keys,
 * a policy with modifiable IEs, and a real protected request (reformatted, JWE-encrypted) whose
 * AAD holds encrypted headers and body members.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { base64urlEncode } from '../crypto/base64url';
import { encryptFlattenedJwe } from '../crypto/jwe';
import type { ApiIeMappingData, DataToIntegrityProtectBlockData, JsonValue, N32fReformattedReqMsgData } from '../messages/bodies';
import type { HttpRequestMessage } from '../reformat/http-message';
import { defaultProtectionPolicy, protectionPolicy, type PrinsProtectionPolicy } from '../reformat/protection-policy';
import { reformatRequest } from '../reformat/reformat';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export const p256 = (): KeyPair => generateKeyPairSync('ec', { namedCurve: 'P-256' });

export const IPX_A = 'ipx-a.roaming.example.org';
export const IPX_B = 'ipx-b.roaming.example.org';
export const KEY_A = p256();
export const KEY_B = p256();
export const SEPP_KEY = p256();

export const SUCI = 'suci-0-001-01-0000-0-0-0123456789';
export const TOKEN = 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbWYxIn0.c2lnbmF0dXJlLXZhbHVl';
export const AUSF_PATH = '/nausf-auth/v1/ue-authentications';
export const SDM_PATH = '/nudm-sdm/v2/imsi-001010000000001/am-data';

/**
 * The built-in placement mapping plus modification rules for the AUSF API:
 * - request header `x-ipx-route` and body `/extra`: any RI (`isModifiable`);
 * - request body `/servingNetworkName`: only IPX_A (`isModifiableByIpx`);
 * - request body `/resynchronizationInfo` is AUTHENTICATION_MATERIAL: encrypted, so never
 *   modifiable even though the entry says `isModifiable`;
 * - response header `x-ipx-route` and body `/authType`: any RI.
 * And: NRF discovery query parameter `requester-features`, SMF path variable `{smContextRef}`.
 */
export const MODIFIABLE: ApiIeMappingData[] = [
  {
    apiSignature: AUSF_PATH,
    apiMethod: 'POST',
    IeList: [
      { ieLoc: 'HEADER', ieType: 'NONSENSITIVE', reqIe: 'x-ipx-route', rspIe: 'x-ipx-route', isModifiable: true },
      { ieLoc: 'BODY', ieType: 'OTHER', reqIe: '/extra', isModifiable: true },
      { ieLoc: 'BODY', ieType: 'OTHER', reqIe: '/servingNetworkName', isModifiable: false, isModifiableByIpx: { [IPX_A]: true } },
      { ieLoc: 'BODY', ieType: 'AUTHENTICATION_MATERIAL', reqIe: '/resynchronizationInfo', isModifiable: true },
      { ieLoc: 'BODY', ieType: 'OTHER', rspIe: '/authType', isModifiable: true },
    ],
  },
  {
    apiSignature: '/nnrf-disc/v1/nf-instances',
    apiMethod: 'GET',
    IeList: [{ ieLoc: 'URI_PARAM', ieType: 'OTHER', reqIe: 'requester-features', isModifiable: true }],
  },
  {
    apiSignature: '/nsmf-pdusession/v1/sm-contexts/{smContextRef}/retrieve',
    apiMethod: 'POST',
    IeList: [{ ieLoc: 'URI_PATH', ieType: 'OTHER', reqIe: 'smContextRef', isModifiable: true }],
  },
];

export const POLICY: PrinsProtectionPolicy = protectionPolicy({ apiIeMappingList: [...defaultProtectionPolicy().apiIeMappingList, ...MODIFIABLE] });

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

export function ausfRequest(extraHeaders: [string, string][] = [['x-ipx-route', 'hop-0']]): HttpRequestMessage {
  const body = json({ supiOrSuci: SUCI, servingNetworkName: '5G:mnc001.mcc001.3gppnetwork.org', resynchronizationInfo: { rand: 'a1'.repeat(16), auts: 'b2'.repeat(14) } });
  return {
    method: 'POST',
    scheme: 'https',
    authority: 'ausf1.5gc.mnc001.mcc001.3gppnetwork.org',
    path: AUSF_PATH,
    headers: [['content-type', 'application/json'], ['authorization', TOKEN], ...extraHeaders],
    body,
  };
}

export interface ProtectedFixture {
  readonly body: N32fReformattedReqMsgData;
  readonly aad: DataToIntegrityProtectBlockData;
  readonly dataToEncrypt: JsonValue[];
  readonly tag: string;
  readonly key: Buffer;
  readonly iv: Buffer;
}

/** A request as the cSEPP sends it: reformatted with POLICY and encrypted (A128GCM). */
export function protectedRequest(authorizedIpxId: string = IPX_A, message: HttpRequestMessage = ausfRequest()): ProtectedFixture {
  const result = reformatRequest(message, { n32fContextId: '0123456789abcdef', messageId: randomBytes(8).toString('hex'), authorizedIpxId }, POLICY);
  const key = randomBytes(16);
  const iv = randomBytes(12);
  const jwe = encryptFlattenedJwe({
    plaintext: JSON.stringify({ dataToEncrypt: result.dataToEncrypt }),
    aad: base64urlEncode(JSON.stringify(result.aad)),
    key,
    iv,
    enc: 'A128GCM',
  });
  return { body: { reformattedData: jwe }, aad: JSON.parse(JSON.stringify(result.aad)) as DataToIntegrityProtectBlockData, dataToEncrypt: result.dataToEncrypt, tag: jwe.tag, key, iv };
}

/** The index of the header entry with this name in an AAD. */
export function headerIndex(aad: DataToIntegrityProtectBlockData, name: string): number {
  const index = (aad.headers ?? []).findIndex((entry) => entry.header === name);
  if (index < 0) throw new Error(`no header ${name}`);
  return index;
}

/** The index of the payload entry with this iePath in an AAD. */
export function payloadIndex(aad: DataToIntegrityProtectBlockData, iePath: string): number {
  const index = (aad.payload ?? []).findIndex((entry) => entry.iePath === iePath);
  if (index < 0) throw new Error(`no payload entry ${iePath}`);
  return index;
}
