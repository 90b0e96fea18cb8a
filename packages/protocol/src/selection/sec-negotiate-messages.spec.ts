import { SecNegotiateReqData, SecNegotiateRspData } from '../models/sec-negotiate';
import { validateBody } from '../validation/validate-body';
import {
  buildReleaseReq,
  buildSecNegotiateReq,
  buildSecNegotiateRsp,
  evaluateUsagePurposes,
  intersectSupportedFeatures,
  type LocalSeppProfile,
} from './sec-negotiate-messages';
import { selectSecurityCapability } from './select-security-capability';

const responder: LocalSeppProfile = {
  fqdn: 'sepp.5gc.mnc001.mcc001.3gppnetwork.org',
  plmns: [{ mcc: '001', mnc: '01' }],
  capabilities: ['TLS', 'PRINS'],
  supportedFeatures: '1',
  targetApiRootSupported: true,
};
const initiator: LocalSeppProfile = { ...responder, fqdn: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org', plmns: [{ mcc: '002', mnc: '02' }], capabilities: ['PRINS', 'TLS'] };

describe('SecNegotiate message building', () => {
  it('the request lists our mechanisms in our order and validates against the schema', () => {
    const body = buildSecNegotiateReq(initiator, { n32HandshakeId: '00112233aabbccdd', intendedUsagePurpose: ['ROAMING'] });
    expect(body).toEqual({
      sender: initiator.fqdn,
      supportedSecCapabilityList: ['PRINS', 'TLS'],
      n32HandshakeId: '00112233aabbccdd',
      '3GppSbiTargetApiRootSupported': true,
      plmnIdList: [{ mcc: '002', mnc: '02' }],
      intendedUsagePurpose: [{ usagePurpose: 'ROAMING' }],
      supportedFeatures: '1',
    });
    expect(validateBody(SecNegotiateReqData, JSON.parse(JSON.stringify(body))).ok).toBe(true);
  });

  it('a release offers only NONE', () => {
    expect(buildReleaseReq(initiator)).toEqual({ sender: initiator.fqdn, supportedSecCapabilityList: ['NONE'] });
  });

  it('echoes the target-apiRoot flag only when both support it and something was selected', () => {
    const tls = selectSecurityCapability(['TLS'], ['TLS'], 'none');
    const none = selectSecurityCapability(['PRINS'], ['TLS'], 'none');
    expect(buildSecNegotiateRsp(responder, { request: { '3GppSbiTargetApiRootSupported': true }, selection: tls })['3GppSbiTargetApiRootSupported']).toBe(true);
    expect(buildSecNegotiateRsp(responder, { request: {}, selection: tls })).not.toHaveProperty('3GppSbiTargetApiRootSupported');
    expect(buildSecNegotiateRsp(responder, { request: { '3GppSbiTargetApiRootSupported': true }, selection: none })).not.toHaveProperty(
      '3GppSbiTargetApiRootSupported',
    );
    expect(
      buildSecNegotiateRsp({ ...responder, targetApiRootSupported: false }, { request: { '3GppSbiTargetApiRootSupported': true }, selection: tls }),
    ).not.toHaveProperty('3GppSbiTargetApiRootSupported');
  });

  it('the answer carries our PLMNs, features, the handshake id and validates', () => {
    const body = buildSecNegotiateRsp(responder, {
      request: { n32HandshakeId: '00112233aabbccdd' },
      selection: selectSecurityCapability(['TLS'], ['TLS'], 'none'),
      purposes: evaluateUsagePurposes([{ usagePurpose: 'ROAMING' }, { usagePurpose: 'SMS_INTERCONNECT' }], ['ROAMING']),
    });
    expect(body).toMatchObject({
      sender: responder.fqdn,
      selectedSecCapability: 'TLS',
      n32HandshakeId: '00112233aabbccdd',
      plmnIdList: [{ mcc: '001', mnc: '01' }],
      supportedFeatures: '1',
      allowedUsagePurpose: [{ usagePurpose: 'ROAMING' }],
      rejectedUsagePurpose: [{ usagePurpose: 'SMS_INTERCONNECT', cause: 'PURPOSE_NOT_ALLOWED' }],
    });
    expect(validateBody(SecNegotiateRspData, JSON.parse(JSON.stringify(body))).ok).toBe(true);
  });

  it('intersects supported features bitwise', () => {
    expect(intersectSupportedFeatures('1', '1')).toBe('1');
    expect(intersectSupportedFeatures('3', '1')).toBe('1');
    expect(intersectSupportedFeatures('f0', '1f')).toBe('10');
    expect(intersectSupportedFeatures('100', '1')).toBe('0');
    expect(intersectSupportedFeatures('1', '')).toBe('');
    expect(intersectSupportedFeatures(undefined, '1')).toBe('');
  });
});
