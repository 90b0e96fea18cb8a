import { MALFORMED_REQUESTS } from '../responder/malformed-table';
import type { CaseDefinition } from './types';

const NEGOTIATION = 'TS 33.501 13.5; TS 29.573 5.2.2';
const RELEASE = 'TS 33.501 13.5 (no agreed mechanism: both SEPPs terminate the N32-c TLS connection)';
const BINDING = 'TS 33.501 13.1.0, 13.1.2 (end-entity certificate identities for authentication and policy checks)';
const CERT = 'TS 33.501 13.1.0, 13.1.2; TS 33.310 6.1.3c';
const PRINS_PARAMS = 'TS 33.501 13.2.2.2; TS 29.573 5.2.3';
const PRINS_RECEIVE = 'TS 33.501 13.2.4.7; TS 29.573 6.2.4';
const TAMPER_EXPECTED = (type: string): string => `403 ProblemDetailsMsgForwarding, cause ${type}; nothing delivered`;

/** The responder role: the probe is an initiating SEPP. */
const RESPONDER_CASES: readonly CaseDefinition[] = [
  { id: 'tls.profile', role: 'responder', group: 'tls', level: 'shall', clause: 'TS 33.501 13.1.0; TS 33.210 6.2; RFC 9113 3.2', title: 'mutual TLS 1.2/1.3 with ALPN h2; the server certificate names the partner FQDN', expected: 'TLS 1.2 or 1.3, ALPN h2, certificate SAN = the FQDN dialled (SNI)' },

  { id: 'neg.offer-tls', role: 'responder', group: 'negotiation', level: 'shall', clause: NEGOTIATION, title: 'offer [TLS]', expected: 'the selection the declared policy gives; a schema-valid SecNegotiateRspData' },
  { id: 'neg.offer-prins', role: 'responder', group: 'negotiation', level: 'shall', clause: NEGOTIATION, title: 'offer [PRINS]', expected: 'the selection the declared policy gives' },
  { id: 'neg.order-prins-tls', role: 'responder', group: 'negotiation', level: 'shall', clause: `${NEGOTIATION}; TS 33.501 13.1.2`, title: 'offer [PRINS, TLS] (initiator prefers PRINS)', expected: 'none: TLS; ip-routing: PRINS (initiator priority); modifying: PRINS' },
  { id: 'neg.order-tls-prins', role: 'responder', group: 'negotiation', level: 'shall', clause: `${NEGOTIATION}; TS 33.501 13.1.2`, title: 'offer [TLS, PRINS] (initiator prefers TLS)', expected: 'none: TLS; ip-routing: TLS (initiator priority); modifying: PRINS' },
  { id: 'neg.unknown-ignored', role: 'responder', group: 'negotiation', level: 'shall', clause: `${NEGOTIATION}; TS 29.501 5.2.4 (extensible enumerations)`, title: 'offer ["ALS", "X-UNKNOWN", TLS]: unknown values are skipped', expected: 'as for [TLS]; no 4xx/5xx for the unknown strings' },
  { id: 'neg.handshake-id', role: 'responder', group: 'negotiation', level: 'should', clause: 'TS 29.573 6.1.6.2.3 (n32HandshakeId)', title: 'n32HandshakeId of the request echoed in the answer', expected: 'the answer carries the same n32HandshakeId' },

  { id: 'release.no-common', role: 'responder', group: 'release', level: 'shall', clause: NEGOTIATION, title: 'offer only unknown mechanisms ["ALS"]', expected: '200 with selectedSecCapability NONE (a 4xx problem is tolerated with a warning)' },
  { id: 'release.close-after-no-common', role: 'responder', group: 'release', level: 'shall', clause: RELEASE, title: 'connection terminated after selecting NONE', expected: 'GOAWAY then TLS/TCP close by the responder' },
  { id: 'release.none', role: 'responder', group: 'release', level: 'shall', clause: `${NEGOTIATION}; TS 29.573 6.1.6.3.3 (NONE)`, title: 'release with ["NONE"] after a TLS agreement', expected: '200 with selectedSecCapability NONE' },
  { id: 'release.close-after-none', role: 'responder', group: 'release', level: 'shall', clause: RELEASE, title: 'connection terminated after the release', expected: 'GOAWAY then TLS/TCP close by the responder' },

  { id: 'id.answer-sender', role: 'responder', group: 'identity', level: 'shall', clause: BINDING, title: "the answer's sender and plmnIdList are proved by the server certificate", expected: 'sender = a SAN dNSName; every PLMN of plmnIdList among the certificate PLMN IDs' },
  { id: 'id.forged-sender', role: 'responder', group: 'identity', level: 'shall', clause: BINDING, title: 'sender = another PLMN\'s SEPP (not in the client certificate)', expected: '403 problem+json, no agreement' },
  { id: 'id.forged-plmn', role: 'responder', group: 'identity', level: 'shall', clause: BINDING, title: 'plmnIdList claims a PLMN the client certificate does not prove', expected: '403 problem+json, no agreement' },
  { id: 'id.target-plmn-not-served', role: 'responder', group: 'identity', level: 'should', clause: 'TS 29.573 6.1.6.2.2 (targetPlmnId)', title: 'targetPlmnId names a PLMN the responder does not serve', expected: '4xx problem+json (403), no agreement' },

  ...MALFORMED_REQUESTS.map(
    (m): CaseDefinition => ({
      id: m.id,
      role: 'responder',
      group: 'malformed',
      level: m.level ?? 'shall',
      clause: m.clause,
      title: `${m.method ?? 'POST'} ${m.path ?? 'exchange-capability'}: ${m.title}`.replace(/ \/n32c-handshake\/v1\//, ' '),
      expected: `${m.statuses.join(' or ')} problem+json${m.allow ? ` with Allow: ${m.allow.join(', ')}` : ''}${m.param ? `, invalidParams naming ${m.param}` : ''}`,
    }),
  ),

  { id: 'cert.none', role: 'responder', group: 'certificates', level: 'shall', clause: CERT, title: 'no client certificate', expected: 'TLS handshake refused (or connection closed before any answer)' },
  { id: 'cert.untrusted-ca', role: 'responder', group: 'certificates', level: 'shall', clause: CERT, title: 'client certificate from a CA the partner does not trust', expected: 'TLS handshake refused' },
  { id: 'cert.expired', role: 'responder', group: 'certificates', level: 'shall', clause: CERT, title: 'expired client certificate (right CA, right SAN)', expected: 'TLS handshake refused', needsCaKey: true },
  { id: 'cert.not-yet-valid', role: 'responder', group: 'certificates', level: 'shall', clause: CERT, title: 'client certificate valid only from tomorrow', expected: 'TLS handshake refused', needsCaKey: true },
  { id: 'cert.wrong-eku', role: 'responder', group: 'certificates', level: 'shall', clause: `${CERT} (extendedKeyUsage clientAuth)`, title: 'client certificate with extendedKeyUsage serverAuth only', expected: 'TLS handshake refused', needsCaKey: true },
  { id: 'cert.san-other-plmn', role: 'responder', group: 'certificates', level: 'shall', clause: BINDING, title: "client certificate naming another PLMN's SEPP; sender = the probe's FQDN", expected: 'refused: handshake, or 403 problem+json', needsCaKey: true },
  { id: 'cert.non-3gpp-san', role: 'responder', group: 'certificates', level: 'shall', clause: BINDING, title: "client certificate with a non-3GPP SAN (sepp.example.com); sender = the probe's FQDN", expected: 'refused: handshake, or 403 problem+json', needsCaKey: true },

  { id: 'prins.select', role: 'responder', group: 'prins', level: 'shall', clause: NEGOTIATION, title: 'offer [PRINS] to set up a PRINS context', expected: 'PRINS selected (the following cases are skipped otherwise)', needsPrins: true },
  { id: 'prins.params-suites', role: 'responder', group: 'prins', level: 'shall', clause: `${PRINS_PARAMS}; TS 33.501 13.2.4.9`, title: 'exchange-params: JWE/JWS cipher suites', expected: 'SecParamExchRspData: its own 16-hex n32fContextId, an offered JWE suite, ES256, sender proved by the certificate', needsPrins: true },
  { id: 'prins.params-policy', role: 'responder', group: 'prins', level: 'should', clause: `${PRINS_PARAMS}; TS 33.501 13.2.3.6`, title: 'exchange-params: protection policies', expected: 'selProtectionPolicyInfo equal to the default policy the probe sends', needsPrins: true },
  { id: 'prins.exporter-keys', role: 'responder', group: 'prins', level: 'shall', clause: 'TS 33.501 13.2.2.2 step 4, 13.2.4.4.1 (EXPORTER_3GPP_N32_MASTER, N32-KDF)', title: 'both sides derived the same N32-f keys from the TLS exporter', expected: 'the responder decrypts the protected request and its answer decrypts with the probe keys', needsPrins: true },
  { id: 'prins.round-trip', role: 'responder', group: 'prins', level: 'shall', clause: `${PRINS_RECEIVE}; TS 33.501 13.2.4.3.1.2`, title: 'one protected n32f-process round trip', expected: '200 N32fReformattedRspMsg (schema-valid) echoing the messageId, with a statusLine', needsPrins: true },
  { id: 'prins.tamper-ciphertext', role: 'responder', group: 'prins', level: 'shall', clause: PRINS_RECEIVE, title: 'one bit of the ciphertext flipped', expected: TAMPER_EXPECTED('INTEGRITY_CHECK_FAILED'), needsPrins: true },
  { id: 'prins.tamper-tag', role: 'responder', group: 'prins', level: 'shall', clause: PRINS_RECEIVE, title: 'one bit of the authentication tag flipped', expected: TAMPER_EXPECTED('INTEGRITY_CHECK_FAILED'), needsPrins: true },
  { id: 'prins.tamper-aad', role: 'responder', group: 'prins', level: 'shall', clause: `${PRINS_RECEIVE}; TS 33.501 13.2.4.4.0`, title: 'the integrity-protected block changed (requestLine.path)', expected: TAMPER_EXPECTED('INTEGRITY_CHECK_FAILED'), needsPrins: true },
  { id: 'prins.tamper-iv', role: 'responder', group: 'prins', level: 'shall', clause: 'TS 33.501 13.2.4.4.1 (IV = salt || counter)', title: 'an IV with another IV salt', expected: TAMPER_EXPECTED('INTEGRITY_CHECK_FAILED'), needsPrins: true },
  { id: 'prins.tamper-header', role: 'responder', group: 'prins', level: 'shall', clause: 'TS 33.501 13.2.4.4.0 (alg dir)', title: 'JWE protected header with alg A128KW instead of dir', expected: '403 ProblemDetailsMsgForwarding, cause DECIPHERING_FAILED or INTEGRITY_CHECK_FAILED', needsPrins: true },
  { id: 'prins.replay', role: 'responder', group: 'prins', level: 'shall', clause: 'TS 33.501 13.2.2.4.3, 13.2.4.7 (replay protection)', title: 'the round trip message sent again', expected: TAMPER_EXPECTED('INTEGRITY_CHECK_FAILED'), needsPrins: true },
  { id: 'prins.unknown-context', role: 'responder', group: 'prins', level: 'shall', clause: PRINS_RECEIVE, title: 'metaData names an n32fContextId the responder never allocated', expected: TAMPER_EXPECTED('CONTEXT_NOT_FOUND'), needsPrins: true },
  { id: 'prins.modifications-without-ipx', role: 'responder', group: 'prins', level: 'shall', clause: 'TS 33.501 13.2.4.7; TS 29.573 6.2.5.2.x (authorizedIpxId NULL)', title: 'a modificationsBlock while authorizedIpxId is "NULL"', expected: TAMPER_EXPECTED('INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED'), needsPrins: true },
  { id: 'prins.terminate', role: 'responder', group: 'prins', level: 'shall', clause: 'TS 29.573 5.2.4 (n32f-terminate); TS 33.501 13.2.2.4', title: 'n32f-terminate, then a message on the terminated context', expected: '200 N32fContextInfo; then 403 cause CONTEXT_NOT_FOUND', needsPrins: true },
];

const INITIATOR_REFUSAL = 'TS 33.501 13.5 (no agreed mechanism: terminate the N32-c TLS connection); N32-DIGEST 8.3';

/** The initiator role: the probe is a responding SEPP. */
const INITIATOR_CASES: readonly CaseDefinition[] = [
  { id: 'init.request', role: 'initiator', group: 'initiator', level: 'shall', clause: `TS 29.573 6.1.6.2.2; ${BINDING}; TS 33.501 13.1.0 (SNI)`, title: 'the exchange-capability request', expected: 'schema-valid SecNegotiateReqData; sender a SAN of the client certificate; plmnIdList proved by it; SNI = our FQDN; ALPN h2' },
  { id: 'init.tls-selected', role: 'initiator', group: 'initiator', level: 'shall', clause: 'TS 33.501 13.5, 13.1.2', title: 'the probe selects TLS', expected: 'acted on: no exchange-params, no new negotiation; the connection kept for N32-f (or closed gracefully, 13.1.2)' },
  { id: 'init.prins-selected', role: 'initiator', group: 'initiator', level: 'shall', clause: 'TS 33.501 13.5, 13.2.2.2', title: 'the probe selects PRINS', expected: 'acted on: exchange-params on the same connection' },
  { id: 'init.none-selected', role: 'initiator', group: 'initiator', level: 'shall', clause: INITIATOR_REFUSAL, title: 'the probe selects NONE', expected: 'released: nothing more on that connection; GOAWAY and close by the initiator' },
  { id: 'init.unoffered-selected', role: 'initiator', group: 'initiator', level: 'shall', clause: INITIATOR_REFUSAL, title: 'the probe selects a mechanism that was not offered', expected: 'terminated: no re-send on that connection; GOAWAY and close by the initiator' },
  { id: 'init.unknown-selected', role: 'initiator', group: 'initiator', level: 'shall', clause: `${INITIATOR_REFUSAL}; TS 29.501 5.2.4`, title: 'the probe selects an unknown string ("X-PROBE-UNKNOWN")', expected: 'terminated: nothing more on that connection; GOAWAY and close by the initiator' },
  { id: 'init.forged-sender-answer', role: 'initiator', group: 'initiator', level: 'shall', clause: BINDING, title: "the probe answers TLS with a sender its certificate does not prove", expected: 'not acted on: nothing more on that connection; closed by the initiator' },
  { id: 'init.retry-new-connection', role: 'initiator', group: 'initiator', level: 'should', clause: 'TS 33.501 13.5 (negotiate when there is no agreed mechanism); N32-DIGEST 8.3', title: 'after a refused selection the initiator negotiates again on a new connection', expected: 'every retry on a new TLS connection, never on the terminated one' },
];

export const CASES: readonly CaseDefinition[] = [...RESPONDER_CASES, ...INITIATOR_CASES];

export function casesFor(role: CaseDefinition['role']): CaseDefinition[] {
  return CASES.filter((c) => c.role === role);
}

export function caseById(id: string): CaseDefinition {
  const found = CASES.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found;
}
