import type { SchemaApi } from '../types';

/**
 * The APIs whose N32-f requests can be checked against their 3GPP Release 19 OpenAPI document
 * (request bodies and query parameters of every operation the document defines). The files are
 * vendored verbatim, with the documents they refer to, in `packages/protocol/openapi-3gpp-r19/`.
 */
export const SCHEMA_APIS: readonly SchemaApi[] = [
  { api: 'nausf-auth', file: 'TS29509_Nausf_UEAuthentication.yaml', spec: 'TS 29.509 Nausf_UEAuthentication' },
  { api: 'nudm-sdm', file: 'TS29503_Nudm_SDM.yaml', spec: 'TS 29.503 Nudm_SDM' },
  { api: 'nudm-uecm', file: 'TS29503_Nudm_UECM.yaml', spec: 'TS 29.503 Nudm_UECM' },
  { api: 'nsmf-pdusession', file: 'TS29502_Nsmf_PDUSession.yaml', spec: 'TS 29.502 Nsmf_PDUSession' },
  { api: 'nnrf-disc', file: 'TS29510_Nnrf_NFDiscovery.yaml', spec: 'TS 29.510 Nnrf_NFDiscovery' },
  { api: 'nnrf-oauth2', file: 'TS29510_Nnrf_AccessToken.yaml', spec: 'TS 29.510 Nnrf_AccessToken' },
  { api: 'nnrf-nfm', file: 'TS29510_Nnrf_NFManagement.yaml', spec: 'TS 29.510 Nnrf_NFManagement' },
  { api: 'nnssf-nsselection', file: 'TS29531_Nnssf_NSSelection.yaml', spec: 'TS 29.531 Nnssf_NSSelection' },
  { api: 'npcf-ue-policy-control', file: 'TS29525_Npcf_UEPolicyControl.yaml', spec: 'TS 29.525 Npcf_UEPolicyControl' },
  { api: 'nsmsf-sms', file: 'TS29540_Nsmsf_SMService.yaml', spec: 'TS 29.540 Nsmsf_SMService' },
];

/** The API of a request path: its first segment (`/oauth2/token` is Nnrf_AccessToken). */
export function apiOfPath(path: string): string {
  const end = path.indexOf('/', 1);
  const first = end < 0 ? path.slice(1) : path.slice(1, end);
  return first === 'oauth2' ? 'nnrf-oauth2' : first;
}
