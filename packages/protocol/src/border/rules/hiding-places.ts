import type { HidingPlace } from '../types';

const both = ['request', 'response'] as const;
const requests = ['request'] as const;
const responses = ['response'] as const;

/**
 * The default topology-hiding places (TS 33.501 5.9.3.2: the SEPP hides the topology of its PLMN):
 * where the inter-PLMN APIs carry the FQDN or address of an NF. Outbound, a name of ours found
 * there becomes a hidden name under our SEPP; inbound, a hidden name of ours found there becomes
 * the real one again. Request places are also checked in answers where the API echoes the request
 * resource (an SdmSubscription, a registration). Names of the other PLMN are never touched. The
 * target of an inbound request (`3gpp-Sbi-Target-apiRoot`, or the PRINS requestLine authority) is
 * always recovered when topology hiding is on: it is not a place of this table.
 */
export const DEFAULT_HIDING_PLACES: readonly HidingPlace[] = [
  // Every API
  { name: 'location', api: '*', in: responses, header: 'location', kind: 'uri', spec: 'TS 29.500 5.2.2 / RFC 9110 10.2.2: Location of a created resource (201) or of the NF to redirect to (307, 308)' },

  // Nausf_UEAuthentication (TS 29.509)
  { name: 'ausf-links', api: 'nausf-auth', in: responses, pointer: '/_links/*/href', kind: 'uri', spec: 'TS 29.509 UEAuthenticationCtx._links (LinksValueSchema.href): the AUSF resource of the 5G AKA confirmation / EAP session' },
  { name: 'ausf-links-list', api: 'nausf-auth', in: responses, pointer: '/_links/*/*/href', kind: 'uri', spec: 'TS 29.509 UEAuthenticationCtx._links, array form' },

  // Nudm_SDM (TS 29.503)
  { name: 'sdm-callback-reference', api: 'nudm-sdm', methods: ['POST', 'PATCH'], in: both, pointer: '/callbackReference', kind: 'uri', spec: 'TS 29.503 SdmSubscription.callbackReference: where the UDM notifies data changes' },
  { name: 'sdm-monitored-resources', api: 'nudm-sdm', methods: ['POST', 'PATCH'], in: both, pointer: '/monitoredResourceUris/*', kind: 'uri', spec: 'TS 29.503 SdmSubscription.monitoredResourceUris (URIs of the UDM)' },

  // Nudm_UECM (TS 29.503)
  ...['deregCallbackUri', 'pcscfRestorationCallbackUri', 'dataRestorationCallbackUri', 'staleCheckCallbackUri', 'udmStaleCheckCallbackUri'].map(
    (member): HidingPlace => ({ name: `uecm-${member}`, api: 'nudm-uecm', methods: ['PUT', 'PATCH', 'GET'], in: both, pointer: `/${member}`, kind: 'uri', spec: `TS 29.503 Amf3GppAccessRegistration / SmfRegistration / SmsfRegistration.${member}` }),
  ),
  { name: 'uecm-amf-ee-subscription', api: 'nudm-uecm', in: both, pointer: '/amfEeSubscriptionId', kind: 'uri', spec: 'TS 29.503 Amf3GppAccessRegistration.amfEeSubscriptionId (URI of an AMF event subscription)' },
  { name: 'uecm-vgmlc-fqdn', api: 'nudm-uecm', in: both, pointer: '/vgmlcAddress/vgmlcFqdn', kind: 'fqdn', spec: 'TS 29.503 VgmlcAddress.vgmlcFqdn' },
  { name: 'uecm-vgmlc-ipv4', api: 'nudm-uecm', in: both, pointer: '/vgmlcAddress/vgmlcAddressIpv4', kind: 'ip', spec: 'TS 29.503 VgmlcAddress.vgmlcAddressIpv4' },
  { name: 'uecm-vgmlc-ipv6', api: 'nudm-uecm', in: both, pointer: '/vgmlcAddress/vgmlcAddressIpv6', kind: 'ip', spec: 'TS 29.503 VgmlcAddress.vgmlcAddressIpv6' },

  // Nsmf_PDUSession, home-routed (TS 29.502)
  { name: 'smf-vsmf-pdu-session-uri', api: 'nsmf-pdusession', in: requests, pointer: '/vsmfPduSessionUri', kind: 'uri', spec: 'TS 29.502 PduSessionCreateData.vsmfPduSessionUri: where the H-SMF reaches the V-SMF' },
  { name: 'smf-ismf-pdu-session-uri', api: 'nsmf-pdusession', in: requests, pointer: '/ismfPduSessionUri', kind: 'uri', spec: 'TS 29.502 PduSessionCreateData.ismfPduSessionUri' },
  { name: 'smf-hsmf-uri', api: 'nsmf-pdusession', in: both, pointer: '/hSmfUri', kind: 'uri', spec: 'TS 29.502 hSmfUri (the H-SMF resource)' },
  { name: 'smf-inter-plmn-api-root', api: 'nsmf-pdusession', in: responses, pointer: '/interPlmnApiRoot', kind: 'uri', spec: 'TS 29.502 PduSessionCreatedData / HsmfUpdatedData.interPlmnApiRoot' },
  { name: 'smf-intra-plmn-api-root', api: 'nsmf-pdusession', in: responses, pointer: '/intraPlmnApiRoot', kind: 'uri', spec: 'TS 29.502 HsmfUpdatedData.intraPlmnApiRoot' },

  // Nnrf_NFDiscovery (TS 29.510): the NF profiles of a SearchResult
  ...nfProfilePlaces('/nfInstances/*', 'nnrf-disc', 'TS 29.510 SearchResult.nfInstances[]'),
  { name: 'disc-nrf-disc-api-uri', api: 'nnrf-disc', in: responses, pointer: '/nfInstanceList/*/nrfDiscApiUri', kind: 'uri', spec: 'TS 29.510 SearchResult.nfInstanceList{}.nrfDiscApiUri' },

  // Nnrf_NFManagement subscriptions across PLMNs (TS 29.510)
  { name: 'nfm-status-notification-uri', api: 'nnrf-nfm', in: both, pointer: '/nfStatusNotificationUri', kind: 'uri', spec: 'TS 29.510 SubscriptionData.nfStatusNotificationUri' },
  { name: 'nfm-req-nf-fqdn', api: 'nnrf-nfm', in: both, pointer: '/reqNfFqdn', kind: 'fqdn', spec: 'TS 29.510 SubscriptionData.reqNfFqdn' },
  { name: 'nfm-hnrf-uri', api: 'nnrf-nfm', in: both, pointer: '/hnrfUri', kind: 'uri', spec: 'TS 29.510 SubscriptionData.hnrfUri' },

  // Nnssf_NSSelection (TS 29.531)
  ...['nrfAmfSet', 'nrfAmfSetNfMgtUri', 'nrfAmfSetAccessTokenUri'].map(
    (member): HidingPlace => ({ name: `nssf-${member}`, api: 'nnssf-nsselection', in: responses, pointer: `/${member}`, kind: 'uri', spec: `TS 29.531 AuthorizedNetworkSliceInfo.${member} (an NRF of the home PLMN)` }),
  ),
  ...['nrfId', 'nrfNfMgtUri', 'nrfAccessTokenUri'].map(
    (member): HidingPlace => ({ name: `nssf-nsi-${member}`, api: 'nnssf-nsselection', in: responses, pointer: `/nsiInformation/${member}`, kind: 'uri', spec: `TS 29.531 NsiInformation.${member}` }),
  ),

  // Npcf_UEPolicyControl (TS 29.525)
  { name: 'pcf-notification-uri', api: 'npcf-ue-policy-control', in: requests, pointer: '/notificationUri', kind: 'uri', spec: 'TS 29.525 PolicyAssociationRequest.notificationUri (the V-PCF)' },
  { name: 'pcf-alt-notif-fqdns', api: 'npcf-ue-policy-control', in: requests, pointer: '/altNotifFqdns/*', kind: 'fqdn', spec: 'TS 29.525 PolicyAssociationRequest.altNotifFqdns' },
  { name: 'pcf-alt-notif-ipv4', api: 'npcf-ue-policy-control', in: requests, pointer: '/altNotifIpv4Addrs/*', kind: 'ip', spec: 'TS 29.525 PolicyAssociationRequest.altNotifIpv4Addrs' },
  { name: 'pcf-alt-notif-ipv6', api: 'npcf-ue-policy-control', in: requests, pointer: '/altNotifIpv6Addrs/*', kind: 'ip', spec: 'TS 29.525 PolicyAssociationRequest.altNotifIpv6Addrs' },
  { name: 'pcf-hpcf-uri', api: 'npcf-ue-policy-control', in: requests, pointer: '/hPcfUri', kind: 'uri', spec: 'TS 29.525 PolicyAssociationRequest.hPcfUri' },
  { name: 'pcf-resource-uri', api: 'npcf-ue-policy-control', in: responses, pointer: '/resourceUri', kind: 'uri', spec: 'TS 29.525 PolicyUpdate.resourceUri' },
];

/** The addressing IEs of an NFProfile (TS 29.510 NFProfile, NFService, IpEndPoint, DefaultNotificationSubscription). */
function nfProfilePlaces(base: string, api: string, where: string): HidingPlace[] {
  const place = (name: string, pointer: string, kind: HidingPlace['kind'], ie: string): HidingPlace => ({ name: `disc-${name}`, api, in: responses, pointer: `${base}${pointer}`, kind, spec: `${where} ${ie}` });
  const services = ['nfServices', 'nfServiceList'].flatMap((member) => [
    place(`${member}-fqdn`, `/${member}/*/fqdn`, 'fqdn', `NFService.fqdn (${member})`),
    place(`${member}-inter-plmn-fqdn`, `/${member}/*/interPlmnFqdn`, 'fqdn', `NFService.interPlmnFqdn (${member})`),
    place(`${member}-ipv4`, `/${member}/*/ipEndPoints/*/ipv4Address`, 'ip', `IpEndPoint.ipv4Address (${member})`),
    place(`${member}-ipv6`, `/${member}/*/ipEndPoints/*/ipv6Address`, 'ip', `IpEndPoint.ipv6Address (${member})`),
    place(`${member}-callback-uri-prefix`, `/${member}/*/callbackUriPrefixList/*/callbackUriPrefix`, 'uri', `CallbackUriPrefixItem.callbackUriPrefix (${member})`),
    place(`${member}-default-notification-uri`, `/${member}/*/defaultNotificationSubscriptions/*/callbackUri`, 'uri', `DefaultNotificationSubscription.callbackUri (${member})`),
  ]);
  return [
    place('fqdn', '/fqdn', 'fqdn', 'NFProfile.fqdn'),
    place('inter-plmn-fqdn', '/interPlmnFqdn', 'fqdn', 'NFProfile.interPlmnFqdn'),
    place('ipv4', '/ipv4Addresses/*', 'ip', 'NFProfile.ipv4Addresses'),
    place('ipv6', '/ipv6Addresses/*', 'ip', 'NFProfile.ipv6Addresses'),
    place('default-notification-uri', '/defaultNotificationSubscriptions/*/callbackUri', 'uri', 'DefaultNotificationSubscription.callbackUri'),
    ...services,
  ];
}
