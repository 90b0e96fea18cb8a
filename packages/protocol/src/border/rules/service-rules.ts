import type { ServiceRule } from '../types';

/**
 * The default inter-PLMN service allow-list: the service operations one roaming partner's NFs
 * invoke on the other's (TS 23.501 / TS 23.502 roaming procedures, with the Stage 3 specification
 * of each API). Each operation is `METHOD /path-template` with the API name and version in front,
 * as the 3GPP OpenAPI documents write them (`{apiRoot}/nudm-sdm/v2` + `/{supi}/am-data`); a test
 * checks that every one of them is an operation of its vendored OpenAPI file. Anything else is
 * refused. Operators narrow the list per peer (`services`) or add rules of their own.
 */
export const DEFAULT_SERVICE_RULES: readonly ServiceRule[] = [
  {
    name: 'nausf-auth',
    spec: 'TS 29.509 Nausf_UEAuthentication: the visited AMF (SEAF) authenticates a roaming UE at the home AUSF',
    operations: [
      'POST /nausf-auth/v1/ue-authentications',
      'POST /nausf-auth/v1/ue-authentications/deregister',
      'PUT /nausf-auth/v1/ue-authentications/{authCtxId}/5g-aka-confirmation',
      'DELETE /nausf-auth/v1/ue-authentications/{authCtxId}/5g-aka-confirmation',
      'POST /nausf-auth/v1/ue-authentications/{authCtxId}/eap-session',
      'DELETE /nausf-auth/v1/ue-authentications/{authCtxId}/eap-session',
    ],
  },
  {
    name: 'nudm-sdm',
    spec: 'TS 29.503 Nudm_SDM: the visited AMF, SMF and SMSF read and subscribe to the subscriber data in the home UDM',
    operations: [
      'GET /nudm-sdm/v2/{supi}',
      'GET /nudm-sdm/v2/{supi}/nssai',
      'GET /nudm-sdm/v2/{supi}/am-data',
      'GET /nudm-sdm/v2/{supi}/smf-select-data',
      'GET /nudm-sdm/v2/{supi}/ue-context-in-amf-data',
      'GET /nudm-sdm/v2/{supi}/ue-context-in-smf-data',
      'GET /nudm-sdm/v2/{supi}/ue-context-in-smsf-data',
      'GET /nudm-sdm/v2/{supi}/trace-data',
      'GET /nudm-sdm/v2/{supi}/sm-data',
      'GET /nudm-sdm/v2/{supi}/sms-data',
      'GET /nudm-sdm/v2/{supi}/sms-mng-data',
      'GET /nudm-sdm/v2/{supi}/lcs-mo-data',
      'GET /nudm-sdm/v2/{supi}/v2x-data',
      'GET /nudm-sdm/v2/{supi}/prose-data',
      'GET /nudm-sdm/v2/{supi}/5mbs-data',
      'GET /nudm-sdm/v2/{ueId}/lcs-privacy-data',
      'POST /nudm-sdm/v2/{ueId}/sdm-subscriptions',
      'PATCH /nudm-sdm/v2/{ueId}/sdm-subscriptions/{subscriptionId}',
      'DELETE /nudm-sdm/v2/{ueId}/sdm-subscriptions/{subscriptionId}',
      'PUT /nudm-sdm/v2/{supi}/am-data/sor-ack',
      'PUT /nudm-sdm/v2/{supi}/am-data/upu-ack',
      'PUT /nudm-sdm/v2/{supi}/am-data/subscribed-snssais-ack',
      'PUT /nudm-sdm/v2/{supi}/am-data/cag-ack',
      'GET /nudm-sdm/v2/shared-data',
      'GET /nudm-sdm/v2/shared-data/{sharedDataId}',
      'POST /nudm-sdm/v2/shared-data-subscriptions',
      'PATCH /nudm-sdm/v2/shared-data-subscriptions/{subscriptionId}',
      'DELETE /nudm-sdm/v2/shared-data-subscriptions/{subscriptionId}',
    ],
  },
  {
    name: 'nudm-uecm',
    spec: 'TS 29.503 Nudm_UECM: the visited AMF, SMF (home-routed) and SMSF register the UE context at the home UDM',
    operations: [
      'GET /nudm-uecm/v1/{ueId}/registrations',
      'PUT /nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access',
      'PATCH /nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access',
      'GET /nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access',
      'PUT /nudm-uecm/v1/{ueId}/registrations/amf-non-3gpp-access',
      'PATCH /nudm-uecm/v1/{ueId}/registrations/amf-non-3gpp-access',
      'GET /nudm-uecm/v1/{ueId}/registrations/amf-non-3gpp-access',
      'POST /nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access/pei-update',
      'POST /nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access/roaming-info-update',
      'PUT /nudm-uecm/v1/{ueId}/registrations/smf-registrations/{pduSessionId}',
      'PATCH /nudm-uecm/v1/{ueId}/registrations/smf-registrations/{pduSessionId}',
      'GET /nudm-uecm/v1/{ueId}/registrations/smf-registrations/{pduSessionId}',
      'DELETE /nudm-uecm/v1/{ueId}/registrations/smf-registrations/{pduSessionId}',
      'PUT /nudm-uecm/v1/{ueId}/registrations/smsf-3gpp-access',
      'PATCH /nudm-uecm/v1/{ueId}/registrations/smsf-3gpp-access',
      'GET /nudm-uecm/v1/{ueId}/registrations/smsf-3gpp-access',
      'DELETE /nudm-uecm/v1/{ueId}/registrations/smsf-3gpp-access',
      'PUT /nudm-uecm/v1/{ueId}/registrations/smsf-non-3gpp-access',
      'PATCH /nudm-uecm/v1/{ueId}/registrations/smsf-non-3gpp-access',
      'GET /nudm-uecm/v1/{ueId}/registrations/smsf-non-3gpp-access',
      'DELETE /nudm-uecm/v1/{ueId}/registrations/smsf-non-3gpp-access',
    ],
  },
  {
    name: 'nsmf-pdusession',
    spec: 'TS 29.502 Nsmf_PDUSession, home-routed roaming: the V-SMF creates, modifies and releases the PDU session at the H-SMF',
    operations: [
      'POST /nsmf-pdusession/v1/pdu-sessions',
      'POST /nsmf-pdusession/v1/pdu-sessions/{pduSessionRef}/modify',
      'POST /nsmf-pdusession/v1/pdu-sessions/{pduSessionRef}/release',
      'POST /nsmf-pdusession/v1/pdu-sessions/{pduSessionRef}/retrieve',
      'POST /nsmf-pdusession/v1/pdu-sessions/{pduSessionRef}/transfer-mo-data',
    ],
  },
  {
    name: 'nnrf-disc',
    spec: 'TS 29.510 Nnrf_NFDiscovery: the visited NRF discovers NF instances of the home PLMN at the home NRF',
    operations: [
      'GET /nnrf-disc/v1/nf-instances',
      'GET /nnrf-disc/v1/searches/{searchId}',
      'GET /nnrf-disc/v1/searches/{searchId}/complete',
    ],
  },
  {
    name: 'nnrf-oauth2',
    spec: 'TS 29.510 Nnrf_AccessToken: the visited NRF obtains an OAuth 2.0 access token from the home NRF (TS 33.501 13.4.1.2)',
    operations: [
      'POST /oauth2/token',
    ],
  },
  {
    name: 'nnrf-nfm-subscriptions',
    spec: 'TS 29.510 Nnrf_NFManagement: NF status subscriptions across PLMNs, from the visited NRF to the home NRF',
    operations: [
      'POST /nnrf-nfm/v1/subscriptions',
      'PATCH /nnrf-nfm/v1/subscriptions/{subscriptionID}',
      'DELETE /nnrf-nfm/v1/subscriptions/{subscriptionID}',
    ],
  },
  {
    name: 'nnssf-nsselection',
    spec: 'TS 29.531 Nnssf_NSSelection: the visited NSSF asks the home NSSF for the network slice information of a roaming UE',
    operations: [
      'GET /nnssf-nsselection/v2/network-slice-information',
    ],
  },
  {
    name: 'npcf-ue-policy-control',
    spec: 'TS 29.525 Npcf_UEPolicyControl: the V-PCF creates and updates the UE policy association at the H-PCF',
    operations: [
      'POST /npcf-ue-policy-control/v1/policies',
      'GET /npcf-ue-policy-control/v1/policies/{polAssoId}',
      'DELETE /npcf-ue-policy-control/v1/policies/{polAssoId}',
      'POST /npcf-ue-policy-control/v1/policies/{polAssoId}/update',
    ],
  },
  {
    name: 'nsmsf-sms',
    spec: 'TS 29.540 Nsmsf_SMService: the visited AMF uses an SMSF of the home PLMN (TS 23.502 4.13.3)',
    operations: [
      'PUT /nsmsf-sms/v2/ue-contexts/{supi}',
      'PATCH /nsmsf-sms/v2/ue-contexts/{supi}',
      'DELETE /nsmsf-sms/v2/ue-contexts/{supi}',
      'POST /nsmsf-sms/v2/ue-contexts/{supi}/sendsms',
      'POST /nsmsf-sms/v2/ue-contexts/{supi}/send-mt-sms',
    ],
  },
  {
    name: 'notifications',
    spec: 'TS 29.501 5.2.3 / TS 29.500 6.10: notifications and callbacks back to the other PLMN (SDM change, deregistration, H-SMF to V-SMF, NF status): a POST to a callback URI, which is whatever the subscribing NF chose, so the path is free; inbound only to a name our topology hiding handed out, outbound to a hidden name of the peer or with a 3gpp-Sbi-Callback header (TS 29.500 5.2.3.3)',
    when: 'callback',
    operations: [
      'POST /**',
    ],
  },
];
