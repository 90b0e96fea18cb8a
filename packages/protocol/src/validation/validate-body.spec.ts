import { ProblemDetails } from '../models/common-data';
import { SecNegotiateReqData, SecNegotiateRspData } from '../models/sec-negotiate';
import { validateBody } from './validate-body';

const open5gsRequest = {
  sender: 'sepp1.localdomain',
  supportedSecCapabilityList: ['TLS'],
  '3GppSbiTargetApiRootSupported': true,
  plmnIdList: [{ mcc: '999', mnc: '70' }],
  supportedFeatures: '1',
};

const fullRel19Request = {
  sender: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org.',
  n32HandshakeId: '0123456789abcDEF',
  supportedSecCapabilityList: ['PRINS', 'TLS', 'ALS'],
  '3GppSbiTargetApiRootSupported': false,
  plmnIdList: [{ mcc: '002', mnc: '02' }, { mcc: '002', mnc: '003' }],
  snpnIdList: [{ mcc: '002', mnc: '02', nid: '0123456789a' }],
  targetPlmnId: { mcc: '001', mnc: '01' },
  targetSnpnId: { mcc: '001', mnc: '01' },
  intendedUsagePurpose: [{ usagePurpose: 'ROAMING' }, { usagePurpose: 'SOMETHING_NEW', additionalInfo: 'x', cause: 'y' }],
  supportedFeatures: '',
  senderN32fFqdn: 'n32f.sepp.5gc.mnc002.mcc002.3gppnetwork.org',
  senderN32fPortList: [443, 0],
  n32KeepaliveTimer: 30,
};

describe('SecNegotiateReqData validation', () => {
  it('accepts Open5GS request as it sends it', () => {
    const result = validateBody(SecNegotiateReqData, open5gsRequest);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value).toBeInstanceOf(SecNegotiateReqData);
      expect(result.value['3GppSbiTargetApiRootSupported']).toBe(true);
      expect(result.value.plmnIdList?.[0]).toEqual({ mcc: '999', mnc: '70' });
    }
  });

  it('accepts every Rel-19 attribute, carries unknown capability and purpose strings', () => {
    const result = validateBody(SecNegotiateReqData, fullRel19Request);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.supportedSecCapabilityList).toEqual(['PRINS', 'TLS', 'ALS']);
      expect(result.value.intendedUsagePurpose?.[1]?.usagePurpose).toBe('SOMETHING_NEW');
    }
  });

  it('drops unknown attributes, also nested ones', () => {
    const result = validateBody(SecNegotiateReqData, { ...open5gsRequest, vendorX: { a: 1 }, plmnIdList: [{ mcc: '999', mnc: '70', extra: true }] });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value).not.toHaveProperty('vendorX');
      expect(result.value.plmnIdList?.[0]).not.toHaveProperty('extra');
    }
  });

  const bad: [string, unknown, string, string][] = [
    ['not an object: array', [open5gsRequest], 'INVALID_MSG_FORMAT', '/'],
    ['not an object: string', 'TLS', 'INVALID_MSG_FORMAT', '/'],
    ['not an object: null', null, 'INVALID_MSG_FORMAT', '/'],
    ['empty object', {}, 'MANDATORY_IE_MISSING', '/sender'],
    ['sender missing', { supportedSecCapabilityList: ['TLS'] }, 'MANDATORY_IE_MISSING', '/sender'],
    ['list missing', { sender: 'sepp.example.org' }, 'MANDATORY_IE_MISSING', '/supportedSecCapabilityList'],
    ['sender null', { sender: null, supportedSecCapabilityList: ['TLS'] }, 'MANDATORY_IE_INCORRECT', '/sender'],
    ['sender a number', { sender: 42, supportedSecCapabilityList: ['TLS'] }, 'MANDATORY_IE_INCORRECT', '/sender'],
    ['sender not an FQDN', { sender: 'not a host', supportedSecCapabilityList: ['TLS'] }, 'MANDATORY_IE_INCORRECT', '/sender'],
    ['sender without a dot', { sender: 'localhost', supportedSecCapabilityList: ['TLS'] }, 'MANDATORY_IE_INCORRECT', '/sender'],
    ['sender too long', { sender: `${'a.'.repeat(130)}org`, supportedSecCapabilityList: ['TLS'] }, 'MANDATORY_IE_INCORRECT', '/sender'],
    ['empty list', { sender: 'sepp.example.org', supportedSecCapabilityList: [] }, 'MANDATORY_IE_INCORRECT', '/supportedSecCapabilityList'],
    ['list is a string', { sender: 'sepp.example.org', supportedSecCapabilityList: 'TLS' }, 'MANDATORY_IE_INCORRECT', '/supportedSecCapabilityList'],
    ['list item not a string', { sender: 'sepp.example.org', supportedSecCapabilityList: ['TLS', 7] }, 'MANDATORY_IE_INCORRECT', '/supportedSecCapabilityList'],
    ['flag is a string', { ...open5gsRequest, '3GppSbiTargetApiRootSupported': 'true' }, 'OPTIONAL_IE_INCORRECT', '/3GppSbiTargetApiRootSupported'],
    ['plmnIdList empty', { ...open5gsRequest, plmnIdList: [] }, 'OPTIONAL_IE_INCORRECT', '/plmnIdList'],
    ['plmnIdList null', { ...open5gsRequest, plmnIdList: null }, 'OPTIONAL_IE_INCORRECT', '/plmnIdList'],
    ['mcc with letters', { ...open5gsRequest, plmnIdList: [{ mcc: '9a9', mnc: '70' }] }, 'MANDATORY_IE_INCORRECT', '/plmnIdList/0/mcc'],
    ['mnc of 1 digit', { ...open5gsRequest, plmnIdList: [{ mcc: '999', mnc: '7' }] }, 'MANDATORY_IE_INCORRECT', '/plmnIdList/0/mnc'],
    ['mnc of 4 digits', { ...open5gsRequest, plmnIdList: [{ mcc: '999', mnc: '7000' }] }, 'MANDATORY_IE_INCORRECT', '/plmnIdList/0/mnc'],
    ['mnc as a number', { ...open5gsRequest, plmnIdList: [{ mcc: '999', mnc: 70 }] }, 'MANDATORY_IE_INCORRECT', '/plmnIdList/0/mnc'],
    ['mnc missing in the second PLMN', { ...open5gsRequest, plmnIdList: [{ mcc: '999', mnc: '70' }, { mcc: '999' }] }, 'MANDATORY_IE_MISSING', '/plmnIdList/1/mnc'],
    ['plmn item a string', { ...open5gsRequest, plmnIdList: ['999-70'] }, 'OPTIONAL_IE_INCORRECT', '/plmnIdList/0'],
    ['supportedFeatures not hex', { ...open5gsRequest, supportedFeatures: 'xyz' }, 'OPTIONAL_IE_INCORRECT', '/supportedFeatures'],
    ['handshake id too short', { ...open5gsRequest, n32HandshakeId: 'abc' }, 'OPTIONAL_IE_INCORRECT', '/n32HandshakeId'],
    ['negative port', { ...open5gsRequest, senderN32fPortList: [-1] }, 'OPTIONAL_IE_INCORRECT', '/senderN32fPortList'],
    ['fractional keepalive', { ...open5gsRequest, n32KeepaliveTimer: 1.5 }, 'OPTIONAL_IE_INCORRECT', '/n32KeepaliveTimer'],
    ['nid too short', { ...open5gsRequest, snpnIdList: [{ mcc: '001', mnc: '01', nid: '12' }] }, 'OPTIONAL_IE_INCORRECT', '/snpnIdList/0/nid'],
    ['purpose without usagePurpose', { ...open5gsRequest, intendedUsagePurpose: [{ cause: 'x' }] }, 'MANDATORY_IE_MISSING', '/intendedUsagePurpose/0/usagePurpose'],
    ['targetPlmnId a string', { ...open5gsRequest, targetPlmnId: '001-01' }, 'OPTIONAL_IE_INCORRECT', '/targetPlmnId'],
  ];

  it.each(bad)('rejects %s', (_name, body, code, param) => {
    const result = validateBody(SecNegotiateReqData, body);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.invalidParams.map((p) => p.param)).toContain(param);
      for (const p of result.error.invalidParams) expect(p.reason).toEqual(expect.any(String));
    }
  });

  it('reports every failing field, not only the first', () => {
    const result = validateBody(SecNegotiateReqData, { sender: 1, supportedSecCapabilityList: [], plmnIdList: [{ mcc: 'x', mnc: 'y' }] });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.invalidParams.map((p) => p.param).sort()).toEqual(
        ['/plmnIdList/0/mcc', '/plmnIdList/0/mnc', '/sender', '/supportedSecCapabilityList'].sort(),
      );
      expect(result.error.cause).toBe('MANDATORY_IE_INCORRECT');
    }
  });

  it('does not pollute prototypes through __proto__ keys', () => {
    const body = JSON.parse('{"sender":"sepp.example.org","supportedSecCapabilityList":["TLS"],"__proto__":{"polluted":true}}');
    const result = validateBody(SecNegotiateReqData, body);
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('SecNegotiateRspData validation', () => {
  it("accepts Open5GS's answer with an empty supportedFeatures", () => {
    const result = validateBody(SecNegotiateRspData, {
      sender: 'sepp2.localdomain',
      selectedSecCapability: 'TLS',
      '3GppSbiTargetApiRootSupported': true,
      plmnIdList: [{ mcc: '001', mnc: '01' }],
      supportedFeatures: '',
    });
    expect(result.ok).toBe(true);
  });

  it('carries an unknown selection for the caller to refuse', () => {
    const result = validateBody(SecNegotiateRspData, { sender: 'sepp2.localdomain', selectedSecCapability: 'ALS' });
    expect(result.ok && result.value.selectedSecCapability).toBe('ALS');
  });

  it('requires selectedSecCapability', () => {
    const result = validateBody(SecNegotiateRspData, { sender: 'sepp2.localdomain' });
    expect(!result.ok && result.error.code).toBe('MANDATORY_IE_MISSING');
  });
});

describe('ProblemDetails reading', () => {
  it("accepts Open5GS's refusal", () => {
    const result = validateBody(ProblemDetails, {
      type: '/n32c-handshake/v1',
      title: 'Unknown SupportedSecCapability',
      status: 400,
      detail: 'sepp1.localdomain',
      instance: '/exchange-capability',
    });
    expect(result.ok && result.value.title).toBe('Unknown SupportedSecCapability');
  });
});
