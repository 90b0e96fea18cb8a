import { accessTokenConsumerPlmn, checkAccessTokenPlmn } from './access-token';

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** A JWS-shaped token (the signature is never looked at: the SEPP reads, it does not verify). */
const token = (claims: unknown): string => `${b64({ alg: 'ES256', typ: 'JWT' })}.${b64(claims)}.${b64('not-a-signature')}`;
const CLAIMS = { iss: 'nrf1', sub: 'amf1', aud: 'UDM', scope: 'nudm-sdm', exp: 1_900_000_000, consumerPlmnId: { mcc: '002', mnc: '02' } };
const PEER_PLMNS = new Set(['002-002']);

describe('accessTokenConsumerPlmn (TS 29.510 AccessTokenClaims)', () => {
  it('reads consumerPlmnId from a Bearer JWS (scheme case-insensitive)', () => {
    expect(accessTokenConsumerPlmn(`Bearer ${token(CLAIMS)}`)).toEqual({ mcc: '002', mnc: '02' });
    expect(accessTokenConsumerPlmn(`bearer ${token(CLAIMS)}`)).toEqual({ mcc: '002', mnc: '02' });
    expect(accessTokenConsumerPlmn([`Bearer ${token(CLAIMS)}`])).toEqual({ mcc: '002', mnc: '02' });
  });

  it('is null when there is nothing to read', () => {
    for (const value of [
      undefined,
      '',
      `Basic ${b64('user:pass')}`,
      `Bearer ${token({ ...CLAIMS, consumerPlmnId: undefined })}`,
      `Bearer ${token({ ...CLAIMS, consumerPlmnId: { mcc: '2', mnc: '02' } })}`,
      `Bearer ${token({ ...CLAIMS, consumerPlmnId: '002-02' })}`,
      `Bearer ${token([CLAIMS])}`,
      `Bearer ${b64({ alg: 'ES256' })}.${b64('not json')}.x`,
      'Bearer opaque-token-value',
      'Bearer a.b.c.d.e',
      `Bearer ${b64({ alg: 'ES256' })}.${b64('{"__proto__":{"consumerPlmnId":{"mcc":"002","mnc":"02"}}}')}.x`,
    ]) {
      expect({ value, plmn: accessTokenConsumerPlmn(value) }).toEqual({ value, plmn: null });
    }
  });
});

describe('checkAccessTokenPlmn (TS 33.501 13.4.1.2.2)', () => {
  it('passes a token of a PLMN of the peer (3-digit FQDN comparison) and a request without a claim', () => {
    expect(checkAccessTokenPlmn(`Bearer ${token(CLAIMS)}`, PEER_PLMNS)).toEqual({ ok: true, claimed: { mcc: '002', mnc: '02' } });
    expect(checkAccessTokenPlmn(undefined, PEER_PLMNS)).toEqual({ ok: true, claimed: null });
  });

  it('refuses a token issued to another PLMN, naming both', () => {
    const result = checkAccessTokenPlmn(`Bearer ${token({ ...CLAIMS, consumerPlmnId: { mcc: '003', mnc: '03' } })}`, PEER_PLMNS);
    expect(result).toMatchObject({ ok: false, claimed: { mcc: '003', mnc: '03' } });
    if (!result.ok) expect(result.detail).toMatch(/003-03.*002-002/);
  });
});
