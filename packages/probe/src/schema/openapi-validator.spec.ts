import { OpenApiValidator } from './openapi-validator';

describe('OpenApiValidator (the vendored Rel-19 YAML through Ajv)', () => {
  const validator = new OpenApiValidator();
  const A = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';

  it('accepts valid N32 bodies of both APIs', () => {
    expect(validator.validate('TS29573_N32_Handshake.yaml', 'SecNegotiateRspData', { sender: A, selectedSecCapability: 'TLS', plmnIdList: [{ mcc: '001', mnc: '01' }], n32HandshakeId: '0123456789abcdef' }).ok).toBe(true);
    expect(validator.validate('TS29573_N32_Handshake.yaml', 'SecNegotiateReqData', { sender: A, supportedSecCapabilityList: ['PRINS', 'TLS', 'ALS'] }).ok).toBe(true);
    expect(validator.validate('TS29573_JOSEProtectedMessageForwarding.yaml', 'ProblemDetailsMsgForwarding', { status: 403, cause: 'INTEGRITY_CHECK_FAILED', suggestedStatusCode: 403 }).ok).toBe(true);
    expect(validator.validate('TS29573_JOSEProtectedMessageForwarding.yaml', 'N32fReformattedRspMsg', { reformattedData: { ciphertext: 'abc', protected: 'x', tag: 'y' } }).ok).toBe(true);
  });

  it('names each non-conformant member by JSON Pointer with the rule and where the rule sits', () => {
    const check = validator.validate('TS29573_N32_Handshake.yaml', 'SecNegotiateRspData', { sender: 'x', selectedSecCapability: 5, plmnIdList: [{ mcc: '0a1', mnc: '01' }], n32HandshakeId: 'zz' });
    expect(check.ok).toBe(false);
    expect(check.violations.map((v) => [v.pointer, v.rule])).toEqual([
      ['/n32HandshakeId', 'pattern'],
      ['/plmnIdList/0/mcc', 'pattern'],
      ['/selectedSecCapability', 'anyOf'],
      ['/sender', 'minLength'],
      ['/sender', 'pattern'],
    ]);
    const mcc = check.violations.find((v) => v.pointer === '/plmnIdList/0/mcc')!;
    expect(mcc.schemaPath).toBe('TS29571_CommonData.yaml#/components/schemas/Mcc/pattern');
    expect(check.violations.find((v) => v.pointer === '/n32HandshakeId')!.schemaPath).toBe('TS29573_N32_Handshake.yaml#/components/schemas/SecNegotiateRspData/properties/n32HandshakeId/pattern');
    // The open enumeration's two branches folded into one readable reason.
    expect(check.violations.find((v) => v.rule === 'anyOf')!.message).toMatch(/must be of type string/);
  });

  it('reports a missing mandatory member at its own pointer', () => {
    const check = validator.validate('TS29571_CommonData.yaml', 'ProblemDetails', { status: '400', invalidParams: [{ reason: 'x' }] });
    expect(check.violations.map((v) => `${v.pointer} ${v.rule}`)).toEqual(['/invalidParams/0/param required', '/status type']);
  });

  it('escapes member names in pointers (3GppSbiTargetApiRootSupported, ~ and /)', () => {
    const check = validator.validate('TS29573_N32_Handshake.yaml', 'SecNegotiateReqData', { sender: A, supportedSecCapabilityList: ['TLS'], '3GppSbiTargetApiRootSupported': 'yes' });
    expect(check.violations.map((v) => v.pointer)).toEqual(['/3GppSbiTargetApiRootSupported']);
  });

  it('lists the $refs into files that are not vendored (accepted unchecked), none of them an N32 schema', () => {
    expect(validator.unchecked).toContain('TS29510_Nnrf_AccessToken.yaml#/components/schemas/AccessTokenErr');
    expect(validator.unchecked.every((ref) => !ref.startsWith('TS29573'))).toBe(true);
  });
});
