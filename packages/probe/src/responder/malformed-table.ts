import { N32C_PATHS, N32F_PROCESS_PATH, type PlmnIdValue } from '@sepp/protocol';
import type { RequirementLevel } from '../cases/types';

/** What a malformed request is built from: the probe's own (genuine) identity. */
export interface MalformedInputs {
  readonly sender: string;
  readonly plmns: readonly PlmnIdValue[];
}

/** One malformed request and the TS 29.500 answer it calls for. */
export interface MalformedRequest {
  readonly id: string;
  readonly title: string;
  readonly clause: string;
  readonly level?: RequirementLevel;
  readonly method?: string;
  readonly path?: string;
  /** Request headers other than the pseudo-headers (default `content-type: application/json`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: (inputs: MalformedInputs) => string | Buffer;
  /** Conformant statuses, the one TS 29.500 names first. */
  readonly statuses: readonly number[];
  /** For a body fault: the member the problem's invalidParams should name. */
  readonly param?: string;
  /** A 405 must list the allowed methods in `Allow` (RFC 9110 15.5.6). */
  readonly allow?: readonly string[];
}

const JSON_CLAUSE = 'TS 29.500 5.2.7.2; TS 29.573 6.1.5.2';
const IE_CLAUSE = 'TS 29.500 5.2.7.2 (MANDATORY_IE_*); TS 29.573 6.1.6.2.2';
const FQDN_CLAUSE = 'TS 29.571 Fqdn; TS 29.500 5.2.7.2';
const PLMN_CLAUSE = 'TS 29.571 PlmnId (Mcc, Mnc); TS 29.500 5.2.7.2';
const UNIQUE_CLAUSE = 'TS 33.117 4.2.4.1.x / 4.3.6.3 (unique member names); RFC 8259 4';
const METHOD_CLAUSE = 'TS 29.500 5.2.7.2 (405); TS 33.117 4.3.4.3; RFC 9110 15.5.6';
const PATH_CLAUSE = 'TS 29.500 5.2.7.2 (404); TS 29.573 6.1.3';
const MEDIA_CLAUSE = 'TS 29.500 5.2.7.2 (415), 6.2 (application/json)';
const SIZE_CLAUSE = 'TS 29.500 5.2.7.2 (413); TS 33.117 4.2.3.3.x (robustness)';

/** A valid SecNegotiateReqData of the probe, with `patch` applied (undefined removes a member). */
export function validRequest(inputs: MalformedInputs, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    sender: inputs.sender,
    supportedSecCapabilityList: ['TLS'],
    plmnIdList: inputs.plmns.map(({ mcc, mnc }) => ({ mcc, mnc })),
    ...patch,
  };
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete body[key];
  return body;
}

const json = (patch: Record<string, unknown>) => (inputs: MalformedInputs) => JSON.stringify(validRequest(inputs, patch));
const raw = (text: string) => () => text;
const plmn = (inputs: MalformedInputs): PlmnIdValue => inputs.plmns[0] ?? { mcc: '999', mnc: '99' };
const label63 = 'a'.repeat(63);

/** Every malformed request the responder role sends (at least 50, README table generated from it). */
export const MALFORMED_REQUESTS: readonly MalformedRequest[] = [
  // Not JSON, or not a JSON object.
  { id: 'malformed.json-syntax', title: 'invalid JSON text', clause: JSON_CLAUSE, body: raw('{sender: sepp, "supportedSecCapabilityList": [TLS]}'), statuses: [400] },
  { id: 'malformed.json-truncated', title: 'truncated JSON', clause: JSON_CLAUSE, body: (i) => JSON.stringify(validRequest(i)).slice(0, 30), statuses: [400] },
  { id: 'malformed.json-trailing-data', title: 'a JSON object followed by more text', clause: JSON_CLAUSE, body: (i) => `${JSON.stringify(validRequest(i))} trailing`, statuses: [400] },
  { id: 'malformed.empty-body', title: 'empty body with content-type application/json', clause: JSON_CLAUSE, body: raw(''), statuses: [400] },
  { id: 'malformed.body-array', title: 'a JSON array as the body', clause: JSON_CLAUSE, body: (i) => JSON.stringify([validRequest(i)]), statuses: [400] },
  { id: 'malformed.body-string', title: 'a JSON string as the body', clause: JSON_CLAUSE, body: (i) => JSON.stringify(JSON.stringify(validRequest(i))), statuses: [400] },
  { id: 'malformed.body-number', title: 'a JSON number as the body', clause: JSON_CLAUSE, body: raw('42'), statuses: [400] },
  { id: 'malformed.body-null', title: 'JSON null as the body', clause: JSON_CLAUSE, body: raw('null'), statuses: [400] },
  { id: 'malformed.invalid-utf8', title: 'sender holding bytes that are not UTF-8', clause: 'RFC 8259 8.1; TS 29.500 5.2.7.2', body: (i) => Buffer.concat([Buffer.from('{"sender":"'), Buffer.from([0x73, 0xff, 0xfe, 0x2e]), Buffer.from(JSON.stringify(validRequest(i)).replace(/^\{"sender":"/, ''))]), statuses: [400], param: '/sender' },
  // Repeated member names.
  { id: 'malformed.duplicate-sender', title: 'sender twice (the second a forged one)', clause: UNIQUE_CLAUSE, body: (i) => JSON.stringify(validRequest(i)).replace('{', `{"sender":"sepp.5gc.mnc999.mcc999.3gppnetwork.org",`), statuses: [400], param: '/sender' },
  { id: 'malformed.duplicate-capability-list', title: 'supportedSecCapabilityList twice', clause: UNIQUE_CLAUSE, body: (i) => JSON.stringify(validRequest(i)).replace('{', '{"supportedSecCapabilityList":["PRINS"],'), statuses: [400], param: '/supportedSecCapabilityList' },
  { id: 'malformed.duplicate-nested', title: 'mcc twice inside plmnIdList[0]', clause: UNIQUE_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { plmnIdList: [plmn(i)] })).replace('{"mcc"', '{"mcc":"999","mcc"'), statuses: [400], param: '/plmnIdList/0/mcc' },
  // Mandatory IEs missing.
  { id: 'malformed.missing-sender', title: 'no sender', clause: IE_CLAUSE, body: json({ sender: undefined }), statuses: [400], param: '/sender' },
  { id: 'malformed.missing-capability-list', title: 'no supportedSecCapabilityList', clause: IE_CLAUSE, body: json({ supportedSecCapabilityList: undefined }), statuses: [400], param: '/supportedSecCapabilityList' },
  { id: 'malformed.missing-mnc', title: 'plmnIdList[0] without mnc', clause: IE_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { plmnIdList: [{ mcc: plmn(i).mcc }] })), statuses: [400], param: '/plmnIdList/0/mnc' },
  { id: 'malformed.missing-usage-purpose', title: 'intendedUsagePurpose[0] without usagePurpose', clause: IE_CLAUSE, body: json({ intendedUsagePurpose: [{ additionalInfo: 'roaming' }] }), statuses: [400], param: '/intendedUsagePurpose/0/usagePurpose' },
  // Wrong types.
  { id: 'malformed.sender-number', title: 'sender is a number', clause: IE_CLAUSE, body: json({ sender: 42 }), statuses: [400], param: '/sender' },
  { id: 'malformed.sender-null', title: 'sender is null', clause: IE_CLAUSE, body: json({ sender: null }), statuses: [400], param: '/sender' },
  { id: 'malformed.sender-array', title: 'sender is an array of FQDNs', clause: IE_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { sender: [i.sender] })), statuses: [400], param: '/sender' },
  { id: 'malformed.capability-list-string', title: 'supportedSecCapabilityList is a string', clause: IE_CLAUSE, body: json({ supportedSecCapabilityList: 'TLS' }), statuses: [400], param: '/supportedSecCapabilityList' },
  { id: 'malformed.capability-list-object', title: 'supportedSecCapabilityList is an object', clause: IE_CLAUSE, body: json({ supportedSecCapabilityList: { 0: 'TLS' } }), statuses: [400], param: '/supportedSecCapabilityList' },
  { id: 'malformed.capability-list-number-item', title: 'supportedSecCapabilityList holds a number', clause: IE_CLAUSE, body: json({ supportedSecCapabilityList: ['TLS', 1] }), statuses: [400], param: '/supportedSecCapabilityList/1' },
  { id: 'malformed.capability-list-null', title: 'supportedSecCapabilityList is null', clause: IE_CLAUSE, body: json({ supportedSecCapabilityList: null }), statuses: [400], param: '/supportedSecCapabilityList' },
  { id: 'malformed.capability-list-empty', title: 'supportedSecCapabilityList is empty (minItems 1)', clause: IE_CLAUSE, body: json({ supportedSecCapabilityList: [] }), statuses: [400], param: '/supportedSecCapabilityList' },
  { id: 'malformed.target-api-root-string', title: '3GppSbiTargetApiRootSupported is the string "true"', clause: IE_CLAUSE, body: json({ '3GppSbiTargetApiRootSupported': 'true' }), statuses: [400], param: '/3GppSbiTargetApiRootSupported' },
  { id: 'malformed.plmn-list-string-item', title: 'plmnIdList holds a string', clause: IE_CLAUSE, body: json({ plmnIdList: ['00101'] }), statuses: [400], param: '/plmnIdList/0' },
  { id: 'malformed.plmn-list-empty', title: 'plmnIdList is empty (minItems 1)', clause: IE_CLAUSE, body: json({ plmnIdList: [] }), statuses: [400], param: '/plmnIdList' },
  { id: 'malformed.target-plmn-string', title: 'targetPlmnId is a string', clause: IE_CLAUSE, body: json({ targetPlmnId: '00101' }), statuses: [400], param: '/targetPlmnId' },
  { id: 'malformed.supported-features-number', title: 'supportedFeatures is a number', clause: IE_CLAUSE, body: json({ supportedFeatures: 1 }), statuses: [400], param: '/supportedFeatures' },
  { id: 'malformed.supported-features-not-hex', title: 'supportedFeatures is not hexadecimal', clause: IE_CLAUSE, body: json({ supportedFeatures: 'xyz' }), statuses: [400], param: '/supportedFeatures' },
  { id: 'malformed.port-list-strings', title: 'senderN32fPortList holds strings', clause: IE_CLAUSE, body: json({ senderN32fPortList: ['443'] }), statuses: [400], param: '/senderN32fPortList/0' },
  { id: 'malformed.port-negative', title: 'senderN32fPortList holds a negative port', clause: IE_CLAUSE, body: json({ senderN32fPortList: [-1] }), statuses: [400], param: '/senderN32fPortList/0' },
  { id: 'malformed.keepalive-negative', title: 'n32KeepaliveTimer is negative', clause: IE_CLAUSE, body: json({ n32KeepaliveTimer: -5 }), statuses: [400], param: '/n32KeepaliveTimer' },
  { id: 'malformed.handshake-id-short', title: 'n32HandshakeId of 15 hex digits', clause: IE_CLAUSE, body: json({ n32HandshakeId: '0123456789abcde' }), statuses: [400], param: '/n32HandshakeId' },
  { id: 'malformed.handshake-id-not-hex', title: 'n32HandshakeId with non-hex digits', clause: IE_CLAUSE, body: json({ n32HandshakeId: '0123456789abcdeg' }), statuses: [400], param: '/n32HandshakeId' },
  // FQDNs.
  { id: 'malformed.fqdn-spaces', title: 'sender with spaces', clause: FQDN_CLAUSE, body: json({ sender: 'not a domain name' }), statuses: [400], param: '/sender' },
  { id: 'malformed.fqdn-single-label', title: 'sender of one label', clause: FQDN_CLAUSE, body: json({ sender: 'sepp' }), statuses: [400], param: '/sender' },
  { id: 'malformed.fqdn-too-long', title: 'sender of 255 characters', clause: FQDN_CLAUSE, body: json({ sender: `${label63}.${label63}.${label63}.${label63}.org` }), statuses: [400], param: '/sender' },
  { id: 'malformed.fqdn-label-too-long', title: 'sender with a 64-character label', clause: FQDN_CLAUSE, body: json({ sender: `${'a'.repeat(64)}.5gc.mnc001.mcc001.3gppnetwork.org` }), statuses: [400], param: '/sender' },
  { id: 'malformed.fqdn-underscore', title: 'sender with an underscore', clause: FQDN_CLAUSE, body: json({ sender: 'sepp_1.5gc.mnc001.mcc001.3gppnetwork.org' }), statuses: [400], param: '/sender' },
  { id: 'malformed.fqdn-leading-hyphen', title: 'sender with a label starting with a hyphen', clause: FQDN_CLAUSE, body: json({ sender: '-sepp.5gc.mnc001.mcc001.3gppnetwork.org' }), statuses: [400], param: '/sender' },
  { id: 'malformed.fqdn-ip-address', title: 'sender is an IPv4 address', clause: FQDN_CLAUSE, body: json({ sender: '192.0.2.1' }), statuses: [400], param: '/sender' },
  { id: 'malformed.fqdn-empty', title: 'sender is an empty string', clause: FQDN_CLAUSE, body: json({ sender: '' }), statuses: [400], param: '/sender' },
  { id: 'malformed.fqdn-n32f', title: 'senderN32fFqdn is not an FQDN', clause: FQDN_CLAUSE, body: json({ senderN32fFqdn: 'n32f sepp' }), statuses: [400], param: '/senderN32fFqdn' },
  // PLMN IDs.
  { id: 'malformed.plmn-mcc-letters', title: 'mcc with letters', clause: PLMN_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { plmnIdList: [{ mcc: '0a1', mnc: plmn(i).mnc }] })), statuses: [400], param: '/plmnIdList/0/mcc' },
  { id: 'malformed.plmn-mcc-2-digits', title: 'mcc of 2 digits', clause: PLMN_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { plmnIdList: [{ mcc: '01', mnc: plmn(i).mnc }] })), statuses: [400], param: '/plmnIdList/0/mcc' },
  { id: 'malformed.plmn-mnc-1-digit', title: 'mnc of 1 digit', clause: PLMN_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { plmnIdList: [{ mcc: plmn(i).mcc, mnc: '1' }] })), statuses: [400], param: '/plmnIdList/0/mnc' },
  { id: 'malformed.plmn-mnc-4-digits', title: 'mnc of 4 digits', clause: PLMN_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { plmnIdList: [{ mcc: plmn(i).mcc, mnc: '0001' }] })), statuses: [400], param: '/plmnIdList/0/mnc' },
  { id: 'malformed.plmn-numbers', title: 'mcc and mnc as JSON numbers', clause: PLMN_CLAUSE, body: json({ plmnIdList: [{ mcc: 1, mnc: 1 }] }), statuses: [400], param: '/plmnIdList/0/mcc' },
  { id: 'malformed.target-plmn-bad-mnc', title: 'targetPlmnId with a bad mnc', clause: PLMN_CLAUSE, body: json({ targetPlmnId: { mcc: '001', mnc: 'x1' } }), statuses: [400], param: '/targetPlmnId/mnc' },
  // Size: invalid as well (no sender), so a SEPP that takes large bodies answers 400, never 200.
  { id: 'malformed.body-1mib', title: '1 MiB body', clause: SIZE_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { sender: undefined, padding: 'x'.repeat(1024 * 1024) })), statuses: [413, 400] },
  { id: 'malformed.body-8mib', title: '8 MiB body', clause: SIZE_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { sender: undefined, padding: 'x'.repeat(8 * 1024 * 1024) })), statuses: [413, 400] },
  { id: 'malformed.deep-nesting', title: '100,000 nested arrays', clause: SIZE_CLAUSE, body: () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`, statuses: [413, 400] },
  { id: 'malformed.huge-array', title: 'supportedSecCapabilityList of 200,000 entries, no sender', clause: SIZE_CLAUSE, body: (i) => JSON.stringify(validRequest(i, { sender: undefined, supportedSecCapabilityList: new Array(200_000).fill('TLS') })), statuses: [413, 400] },
  // Media types.
  { id: 'malformed.content-type-text', title: 'content-type text/plain', clause: MEDIA_CLAUSE, headers: { 'content-type': 'text/plain' }, body: json({}), statuses: [415] },
  { id: 'malformed.content-type-xml', title: 'content-type application/xml', clause: MEDIA_CLAUSE, headers: { 'content-type': 'application/xml' }, body: raw('<SecNegotiateReqData/>'), statuses: [415] },
  { id: 'malformed.content-type-missing', title: 'no content-type', clause: MEDIA_CLAUSE, headers: {}, body: json({}), statuses: [415, 400] },
  { id: 'malformed.content-type-form', title: 'content-type application/x-www-form-urlencoded', clause: MEDIA_CLAUSE, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: (i) => `sender=${i.sender}&supportedSecCapabilityList=TLS`, statuses: [415] },
  { id: 'malformed.content-type-problem', title: 'content-type application/problem+json on a request', clause: MEDIA_CLAUSE, headers: { 'content-type': 'application/problem+json' }, body: json({}), statuses: [415] },
  // Methods.
  { id: 'malformed.method-get', title: 'GET exchange-capability', clause: METHOD_CLAUSE, method: 'GET', headers: {}, statuses: [405], allow: ['POST'] },
  { id: 'malformed.method-put', title: 'PUT exchange-capability', clause: METHOD_CLAUSE, method: 'PUT', body: json({}), statuses: [405], allow: ['POST'] },
  { id: 'malformed.method-delete', title: 'DELETE exchange-capability', clause: METHOD_CLAUSE, method: 'DELETE', headers: {}, statuses: [405], allow: ['POST'] },
  { id: 'malformed.method-patch', title: 'PATCH exchange-capability', clause: METHOD_CLAUSE, method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body: raw('[]'), statuses: [405], allow: ['POST'] },
  { id: 'malformed.method-get-params', title: 'GET exchange-params', clause: METHOD_CLAUSE, method: 'GET', path: N32C_PATHS.exchangeParams, headers: {}, statuses: [405], allow: ['POST'] },
  { id: 'malformed.method-get-n32f-process', title: 'GET n32f-process', clause: METHOD_CLAUSE, method: 'GET', path: N32F_PROCESS_PATH, headers: {}, statuses: [405], allow: ['POST'] },
  // Paths.
  { id: 'malformed.path-unknown-resource', title: 'an unknown resource of the N32-c API', clause: PATH_CLAUSE, path: '/n32c-handshake/v1/no-such-resource', body: json({}), statuses: [404] },
  { id: 'malformed.path-wrong-version', title: 'the N32-c API in a version that does not exist (v2)', clause: PATH_CLAUSE, path: '/n32c-handshake/v2/exchange-capability', body: json({}), statuses: [404] },
  { id: 'malformed.path-unknown-n32f-resource', title: 'an unknown resource of the N32-f API', clause: PATH_CLAUSE, path: '/n32f-forward/v1/no-such-resource', body: json({}), statuses: [404] },
  // The other N32-c resources.
  { id: 'malformed.params-missing-context-id', title: 'exchange-params without n32fContextId', clause: IE_CLAUSE, path: N32C_PATHS.exchangeParams, body: (i) => JSON.stringify({ sender: i.sender, jweCipherSuiteList: ['A128GCM'] }), statuses: [400], param: '/n32fContextId' },
  { id: 'malformed.params-bad-context-id', title: 'exchange-params with an n32fContextId that is not 16 hex digits', clause: IE_CLAUSE, path: N32C_PATHS.exchangeParams, body: (i) => JSON.stringify({ n32fContextId: 'xyz', sender: i.sender, jweCipherSuiteList: ['A128GCM'] }), statuses: [400], param: '/n32fContextId' },
  { id: 'malformed.terminate-missing-context-id', title: 'n32f-terminate without n32fContextId', clause: IE_CLAUSE, path: N32C_PATHS.n32fTerminate, body: raw('{}'), statuses: [400], param: '/n32fContextId' },
  { id: 'malformed.error-missing-type', title: 'n32f-error without n32fErrorType', clause: IE_CLAUSE, path: N32C_PATHS.n32fError, body: raw('{"n32fMessageId":"0000000000000001"}'), statuses: [400], param: '/n32fErrorType' },
  { id: 'malformed.n32f-process-not-a-jwe', title: 'n32f-process whose body is no N32fReformattedReqMsg', clause: 'TS 29.573 6.2.5.2; TS 29.500 5.2.7.2', path: N32F_PROCESS_PATH, body: raw('{"reformattedData":"not a JWE"}'), statuses: [400], param: '/reformattedData' },
];
