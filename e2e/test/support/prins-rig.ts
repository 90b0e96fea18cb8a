import { randomBytes } from 'node:crypto';
import {
  MASTER_KEY_LENGTH,
  N32C_PATHS,
  N32F_PROCESS_PATH,
  N32fContext,
  newN32fContextId,
  parseReformattedResponse,
  protectionPolicy,
  readMessageHeader,
  TLS_EXPORTER_LABEL,
  toProtectionPolicyData,
  type HttpRequestMessage,
} from '@sepp/protocol';
import { FQDN_A, FQDN_B, PLMN_B } from './configs';
import type { H2Answer, H2Client } from './h2-client';
import { UDM1_FQDN } from './n32f';

/**
 * The test as the initiating SEPP of a PRINS context with a responder cluster: its own N32
 * connection to each replica, the context built from its TLS session with one of them, the NF
 * request it protects (the producer's am-data), and the checks of what comes back.
 */

export const SUPI = 'imsi-001010000000001';
export const JSON_TYPE = { 'content-type': 'application/json' };

export interface Problem {
  status: number;
  cause: string;
  detail?: string;
}

/** What the helpers below work on: the test's N32 connections to the replicas, and the port of the producer its NF request goes to. */
export interface Rig {
  readonly clients: H2Client[];
  producerPort: number;
}

export interface Negotiated {
  context: N32fContext;
  initiatorId: string;
  responderId: string;
}

/** The NF request the test protects: the producer's am-data of SUPI. */
function amDataRequest(producerPort: number): HttpRequestMessage {
  return { method: 'GET', scheme: 'http', authority: `${UDM1_FQDN}:${producerPort}`, path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: [['accept', 'application/json']] };
}

export function sealOn(rig: Rig, on: N32fContext): { wire: string; messageId: string } {
  const { body, messageId } = on.protectRequest(amDataRequest(rig.producerPort));
  return { wire: JSON.stringify(body), messageId };
}

export function sendTo(rig: Rig, replica: number, wire: string): Promise<H2Answer> {
  return rig.clients[replica]!.request('POST', N32F_PROCESS_PATH, wire, JSON_TYPE);
}

/** A 200 whose protected answer opens with `on`; returns the answer's IV. */
export function deliveredOn(answer: H2Answer, messageId: string, on: N32fContext): string {
  expect({ status: answer.status, text: answer.status === 200 ? '' : answer.text }).toEqual({ status: 200, text: '' });
  const reformatted = parseReformattedResponse(answer.json);
  const opened = on.openResponse(reformatted, readMessageHeader(reformatted), messageId);
  expect(opened.message.status).toBe(200);
  expect(JSON.parse(opened.message.body!.toString('utf8'))).toMatchObject({ supi: SUPI });
  return reformatted.reformattedData.iv as string;
}

export function refused(answer: H2Answer, cause: string): Problem {
  const problem = answer.json as Problem;
  expect({ status: answer.status, cause: problem?.cause }).toEqual({ status: 403, cause });
  return problem;
}

/** exchange-capability selecting PRINS, then the cipher-suite step of exchange-params, on `client`'s connection. */
export async function prinsCapabilityAndSuites(client: H2Client): Promise<{ initiatorId: string; suites: H2Answer }> {
  const capability = await client.postJson(N32C_PATHS.exchangeCapability, {
    sender: FQDN_B,
    supportedSecCapabilityList: ['PRINS'],
    plmnIdList: [PLMN_B],
    n32HandshakeId: randomBytes(8).toString('hex'),
    supportedFeatures: '0',
  });
  expect(capability.json).toMatchObject({ selectedSecCapability: 'PRINS' });
  const initiatorId = newN32fContextId();
  const suites = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: initiatorId, jweCipherSuiteList: ['A128GCM'], jwsCipherSuiteList: ['ES256'], sender: FQDN_B });
  expect(suites.status).toBe(200);
  return { initiatorId, suites };
}

/** exchange-capability then exchange-params on one replica's connection: a context built from our TLS session with it. */
export async function negotiateOn(client: H2Client): Promise<Negotiated> {
  const { initiatorId, suites } = await prinsCapabilityAndSuites(client);
  const responderId = (suites.json as { n32fContextId: string }).n32fContextId;
  const policies = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: initiatorId, protectionPolicyInfo: toProtectionPolicyData(protectionPolicy()), sender: FQDN_B });
  expect(policies.status).toBe(200);
  const master = client.socket.exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
  return {
    context: new N32fContext({ role: 'initiator', peer: FQDN_A, localContextId: initiatorId, remoteContextId: responderId, master, enc: 'A128GCM', policy: protectionPolicy() }),
    initiatorId,
    responderId,
  };
}
