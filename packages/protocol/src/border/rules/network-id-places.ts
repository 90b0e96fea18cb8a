import type { NetworkIdPlace } from '../types';

/**
 * The default network-ID places (TS 33.501 5.9.3.2: the SEPP checks that the sender may use the
 * PLMN IDs it puts in a message, across layers; TS 33.501 13.1.2 / TS 33.517 4.2.2.4
 * TC_PLMN_ID_MISMATCH for the N32 layer). A `sender` place must hold a PLMN of whoever sent the
 * request (inbound: the peer's PLMNs; outbound: ours), a `receiver` place one of the side it goes
 * to (the home network of the subscriber whose data is read or changed).
 */
export const DEFAULT_NETWORK_ID_PLACES: readonly NetworkIdPlace[] = [
  // Every API
  { name: 'originating-network-id', api: '*', header: '3gpp-sbi-originating-network-id', format: 'originatingNetworkId', owner: 'sender', spec: 'TS 29.500 3gpp-Sbi-Originating-Network-Id: the PLMN of the NF that sent the request' },

  // Nausf_UEAuthentication (TS 29.509)
  { name: 'ausf-serving-network-name', api: 'nausf-auth', methods: ['POST'], path: '/nausf-auth/v1/ue-authentications', pointer: '/servingNetworkName', format: 'servingNetworkName', owner: 'sender', spec: 'TS 29.509 AuthenticationInfo.servingNetworkName; TS 33.501 6.1.1.4: the home network checks the serving network is entitled to it' },
  { name: 'ausf-supi-or-suci', api: 'nausf-auth', methods: ['POST'], path: '/nausf-auth/v1/ue-authentications', pointer: '/supiOrSuci', format: 'ueIdentity', owner: 'receiver', spec: 'TS 29.509 AuthenticationInfo.supiOrSuci: the subscriber belongs to the home network' },

  // Nudm_SDM, Nudm_UECM (TS 29.503)
  { name: 'sdm-supi', api: 'nudm-sdm', path: '/nudm-sdm/v2/{supi}/**', param: 'supi', format: 'ueIdentity', owner: 'receiver', spec: 'TS 29.503 Nudm_SDM {supi} / {ueId}: the subscriber belongs to the home network' },
  { name: 'sdm-plmn-id', api: 'nudm-sdm', query: 'plmn-id', queryPointer: '', format: 'plmnId', owner: 'sender', spec: 'TS 29.503 Nudm_SDM query plmn-id: the PLMN serving the UE' },
  { name: 'uecm-ue-id', api: 'nudm-uecm', path: '/nudm-uecm/v1/{ueId}/**', param: 'ueId', format: 'ueIdentity', owner: 'receiver', spec: 'TS 29.503 Nudm_UECM {ueId}: the subscriber belongs to the home network' },
  { name: 'uecm-guami-plmn', api: 'nudm-uecm', methods: ['PUT', 'PATCH'], pointer: '/guami/plmnId', format: 'plmnId', owner: 'sender', spec: 'TS 29.503 Amf3GppAccessRegistration.guami.plmnId: the registering AMF is of the serving PLMN' },
  { name: 'uecm-serving-plmn', api: 'nudm-uecm', methods: ['PUT', 'PATCH'], pointer: '/plmnId', format: 'plmnId', owner: 'sender', spec: 'TS 29.503 SmfRegistration / SmsfRegistration.plmnId: the serving PLMN' },

  // Nsmf_PDUSession, home-routed (TS 29.502)
  { name: 'smf-serving-network', api: 'nsmf-pdusession', methods: ['POST'], path: '/nsmf-pdusession/v1/pdu-sessions', pointer: '/servingNetwork', format: 'plmnId', owner: 'sender', spec: 'TS 29.502 PduSessionCreateData.servingNetwork' },
  { name: 'smf-supi', api: 'nsmf-pdusession', methods: ['POST'], path: '/nsmf-pdusession/v1/pdu-sessions', pointer: '/supi', format: 'ueIdentity', owner: 'receiver', spec: 'TS 29.502 PduSessionCreateData.supi' },

  // Nnrf_NFDiscovery, Nnrf_AccessToken (TS 29.510)
  { name: 'disc-requester-plmn-list', api: 'nnrf-disc', query: 'requester-plmn-list', queryPointer: '', format: 'plmnIdList', owner: 'sender', spec: 'TS 29.510 Nnrf_NFDiscovery query requester-plmn-list' },
  { name: 'disc-target-plmn-list', api: 'nnrf-disc', query: 'target-plmn-list', queryPointer: '', format: 'plmnIdList', owner: 'receiver', spec: 'TS 29.510 Nnrf_NFDiscovery query target-plmn-list' },
  { name: 'oauth2-requester-plmn', api: 'nnrf-oauth2', pointer: '/requesterPlmn', format: 'plmnId', owner: 'sender', spec: 'TS 29.510 AccessTokenReq.requesterPlmn (TS 33.501 13.4.1.2)' },
  { name: 'oauth2-target-plmn', api: 'nnrf-oauth2', pointer: '/targetPlmn', format: 'plmnId', owner: 'receiver', spec: 'TS 29.510 AccessTokenReq.targetPlmn' },

  // Nnssf_NSSelection (TS 29.531)
  { name: 'nssf-home-plmn-id', api: 'nnssf-nsselection', query: 'home-plmn-id', queryPointer: '', format: 'plmnId', owner: 'receiver', spec: 'TS 29.531 Nnssf_NSSelection query home-plmn-id: the HPLMN of the UE' },
  { name: 'nssf-tai-plmn', api: 'nnssf-nsselection', query: 'tai', queryPointer: '/plmnId', format: 'plmnId', owner: 'sender', spec: 'TS 29.531 Nnssf_NSSelection query tai.plmnId: where the UE is served' },

  // Npcf_UEPolicyControl (TS 29.525)
  { name: 'pcf-serving-plmn', api: 'npcf-ue-policy-control', methods: ['POST'], path: '/npcf-ue-policy-control/v1/policies', pointer: '/servingPlmn', format: 'plmnId', owner: 'sender', spec: 'TS 29.525 PolicyAssociationRequest.servingPlmn' },
  { name: 'pcf-supi', api: 'npcf-ue-policy-control', methods: ['POST'], path: '/npcf-ue-policy-control/v1/policies', pointer: '/supi', format: 'ueIdentity', owner: 'receiver', spec: 'TS 29.525 PolicyAssociationRequest.supi' },
];
