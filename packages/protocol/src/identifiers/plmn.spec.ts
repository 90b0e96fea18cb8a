import {
  formatPlmnId,
  homeNetworkDomain,
  isPlmnId,
  normalizeFqdn,
  parsePlmnId,
  plmnFqdnKey,
  plmnKeyFromFqdn,
  samePlmn,
  seppFqdn,
} from './plmn';

describe('TS 23.003 PLMN and FQDN helpers', () => {
  it('pads a 2-digit MNC to 3 digits in FQDNs only', () => {
    expect(homeNetworkDomain({ mcc: '345', mnc: '12' })).toBe('5gc.mnc012.mcc345.3gppnetwork.org');
    expect(seppFqdn({ mcc: '001', mnc: '01' })).toBe('sepp.5gc.mnc001.mcc001.3gppnetwork.org');
    expect(seppFqdn({ mcc: '310', mnc: '410' })).toBe('sepp.5gc.mnc410.mcc310.3gppnetwork.org');
    expect(formatPlmnId({ mcc: '001', mnc: '01' })).toBe('001-01');
  });

  it('reads the PLMN key of an FQDN from its mnc/mcc labels', () => {
    expect(plmnKeyFromFqdn('sepp.5gc.mnc002.mcc002.3gppnetwork.org')).toBe('002-002');
    expect(plmnKeyFromFqdn('SEPP.5GC.MNC012.MCC345.3GPPNETWORK.ORG.')).toBe('345-012');
    expect(plmnKeyFromFqdn('udm1.5gc.mnc410.mcc310.3gppnetwork.org')).toBe('310-410');
    expect(plmnKeyFromFqdn('sepp1.localdomain')).toBeNull();
    expect(plmnKeyFromFqdn('sepp.mnc01.mcc001.3gppnetwork.org')).toBeNull();
    expect(plmnKeyFromFqdn('mnc001.mcc001.3gppnetwork.org.evil.com')).toBeNull();
  });

  it('an FQDN key cannot tell a 2-digit from a 3-digit MNC, a PlmnId can', () => {
    expect(plmnFqdnKey({ mcc: '001', mnc: '01' })).toBe(plmnFqdnKey({ mcc: '001', mnc: '001' }));
    expect(samePlmn({ mcc: '001', mnc: '01' }, { mcc: '001', mnc: '001' })).toBe(false);
  });

  it('parses and validates PlmnIds', () => {
    expect(parsePlmnId('001-01')).toEqual({ mcc: '001', mnc: '01' });
    expect(parsePlmnId('1-01')).toBeNull();
    expect(isPlmnId({ mcc: '001', mnc: '001' })).toBe(true);
    expect(isPlmnId({ mcc: '01', mnc: '01' })).toBe(false);
    expect(isPlmnId({ mcc: 1, mnc: '01' })).toBe(false);
    expect(isPlmnId(null)).toBe(false);
  });

  it('normalizes FQDN case and the root dot', () => {
    expect(normalizeFqdn('SEPP.Example.ORG.')).toBe('sepp.example.org');
  });
});
