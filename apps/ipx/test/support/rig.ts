import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import {
  base64urlDecode,
  base64urlEncode,
  defaultProtectionPolicy,
  encryptFlattenedJwe,
  protectionPolicy,
  reformatRequest,
  reformatResponse,
  type DataToIntegrityProtectBlockData,
  type HttpRequestMessage,
  type HttpResponseMessage,
  type JsonValue,
  type N32fReformattedReqMsgData,
  type PrinsProtectionPolicy,
  type RequestContext,
  type SentFlatJwe,
} from '@sepp/protocol';
import type { NextHopAnswer, ReceivedRequest } from './fake-next-hop';
import { TestPki, type CertFiles } from './pki';

export const IPX_FQDN = 'ipx.roaming.example.org';
export const SEPP_A = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
export const SEPP_B = 'sepp.5gc.mnc002.mcc002.3gppnetwork.org';
export const AUSF_PATH = '/nausf-auth/v1/ue-authentications';
export const SUCI = 'suci-0-001-01-0000-0-0-0123456789';

/** Both SEPPs' policy: the built-in one plus what the IPX may change on the AUSF API. */
export const POLICY: PrinsProtectionPolicy = protectionPolicy({
  apiIeMappingList: [
    ...defaultProtectionPolicy().apiIeMappingList,
    {
      apiSignature: AUSF_PATH,
      apiMethod: 'POST',
      IeList: [
        { ieLoc: 'HEADER', ieType: 'NONSENSITIVE', reqIe: 'x-ipx-route', isModifiable: true },
        { ieLoc: 'BODY', ieType: 'OTHER', rspIe: '/authType', isModifiable: true },
      ],
    },
  ],
});

export interface Rig {
  readonly pki: TestPki;
  readonly ipxTls: CertFiles;
  readonly ipxSigning: CertFiles;
  readonly seppA: CertFiles;
  readonly seppB: CertFiles;
}

export async function createRig(): Promise<Rig> {
  const pki = await TestPki.create();
  return {
    pki,
    ipxTls: await pki.leaf('ipx-tls', [IPX_FQDN]),
    ipxSigning: await pki.leaf('ipx-signing', [IPX_FQDN]),
    seppA: await pki.leaf('sepp-a', [SEPP_A]),
    seppB: await pki.leaf('sepp-b', [SEPP_B]),
  };
}

/** The configuration file of the IPX in the rig (YAML), with any key overridden. */
export function writeConfig(rig: Rig, nextHopPort: number, overrides: Record<string, unknown> = {}, name = 'ipx.yaml'): string {
  const config = {
    ipx: { fqdn: IPX_FQDN, signingKey: rig.ipxSigning.key, certificate: rig.pki.write('ipx-signing-leaf.crt', rig.ipxSigning.leafPem) },
    tls: { cert: rig.ipxTls.cert, key: rig.ipxTls.key, ca: [rig.pki.caFile] },
    listen: { host: '127.0.0.1', port: 0 },
    forward: { address: `127.0.0.1:${nextHopPort}`, fqdn: SEPP_B, timeoutMs: 3000 },
    rules: [] as unknown[],
    admin: { listen: { host: '127.0.0.1', port: 0 } },
    logging: { level: 'info' },
    ...overrides,
  };
  return rig.pki.write(name, stringify(config));
}

/** A second P-256 key, not the IPX's. */
export const strangerKey = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

export interface Protected {
  readonly body: { reformattedData: SentFlatJwe };
  readonly aad: DataToIntegrityProtectBlockData;
  readonly dataToEncrypt: JsonValue[];
  readonly key: Buffer;
  readonly salt: Buffer;
}

function seal(aad: DataToIntegrityProtectBlockData, dataToEncrypt: JsonValue[]): Protected {
  const key = randomBytes(16);
  const iv = randomBytes(12);
  const reformattedData = encryptFlattenedJwe({ plaintext: JSON.stringify({ dataToEncrypt }), aad: base64urlEncode(JSON.stringify(aad)), key, iv, enc: 'A128GCM' });
  return { body: { reformattedData }, aad: JSON.parse(JSON.stringify(aad)) as DataToIntegrityProtectBlockData, dataToEncrypt, key, salt: iv.subarray(0, 8) };
}

export function ausfRequest(): HttpRequestMessage {
  return {
    method: 'POST',
    scheme: 'https',
    authority: 'ausf1.5gc.mnc002.mcc002.3gppnetwork.org',
    path: AUSF_PATH,
    headers: [
      ['content-type', 'application/json'],
      ['authorization', 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln'],
      ['x-ipx-route', 'hop-0'],
    ],
    body: Buffer.from(JSON.stringify({ supiOrSuci: SUCI, servingNetworkName: '5G:mnc001.mcc001.3gppnetwork.org' })),
  };
}

/** What the cSEPP sends: an NF request reformatted and encrypted, naming the IPX as authorized RI. */
export function protectRequest(message: HttpRequestMessage = ausfRequest(), messageId = randomBytes(8).toString('hex')): Protected {
  const result = reformatRequest(message, { n32fContextId: '00112233445566aa', messageId, authorizedIpxId: IPX_FQDN }, POLICY);
  return seal(result.aad, result.dataToEncrypt);
}

/** What the pSEPP answers. */
export function protectResponse(messageId: string, request: RequestContext, status = 200, body: unknown = { authType: '5G_AKA', _links: {} }): Protected {
  const response: HttpResponseMessage = { status, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify(body)) };
  const result = reformatResponse(response, { n32fContextId: 'aa00112233445566', messageId, authorizedIpxId: IPX_FQDN }, POLICY, request);
  return seal(result.aad, result.dataToEncrypt);
}

/** Collects the JSON log lines of an in-process app. */
export class LogLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    callback();
  }
  with(msg: string): Record<string, unknown>[] {
    return this.lines.filter((line) => line['msg'] === msg);
  }
}

/** The next hop as a pSEPP: a protected 200 to every relayed message (request context: AUSF POST), each kept in `sent`. */
export function protectedAnswers(sent: Protected[] = []): (request: ReceivedRequest) => NextHopAnswer {
  return (request) => {
    const aad = JSON.parse(base64urlDecode((request.json as N32fReformattedReqMsgData).reformattedData.aad!).toString('utf8')) as DataToIntegrityProtectBlockData;
    const answer = protectResponse(aad.metaData!.messageId, { method: 'POST', path: AUSF_PATH });
    sent.push(answer);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer.body) };
  };
}

/** Waits for `check` (polled every 20 ms), failing after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
