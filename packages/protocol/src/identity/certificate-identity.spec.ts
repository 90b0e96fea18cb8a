import { certificatePlmnKeys, checkClaimedIdentity, plmnKeysNotCovered } from './certificate-identity';

const sepp002 = 'sepp.5gc.mnc002.mcc002.3gppnetwork.org';

describe('certificate identity binding (DECISIONS.md §5)', () => {
  it('accepts a sender that is a SAN dNSName, with its PLMNs', () => {
    const result = checkClaimedIdentity({ sender: sepp002, plmnIdList: [{ mcc: '002', mnc: '02' }] }, [sepp002]);
    expect(result).toMatchObject({ ok: true, sender: sepp002 });
    if (result.ok) expect([...result.plmnKeys]).toEqual(['002-002']);
  });

  it('compares case-insensitively and ignores a root dot', () => {
    expect(checkClaimedIdentity({ sender: `${sepp002.toUpperCase()}.` }, [sepp002]).ok).toBe(true);
  });

  it('refuses a sender the certificate does not name', () => {
    const result = checkClaimedIdentity({ sender: sepp002 }, ['sepp.5gc.mnc999.mcc999.3gppnetwork.org']);
    expect(result).toMatchObject({ ok: false, mismatch: 'SENDER_NOT_IN_CERTIFICATE', param: '/sender' });
  });

  it('does not let a wildcard SAN stand for the N32 sender', () => {
    expect(checkClaimedIdentity({ sender: sepp002 }, ['*.5gc.mnc002.mcc002.3gppnetwork.org']).ok).toBe(false);
  });

  it('refuses a claimed PLMN the certificate does not carry', () => {
    const result = checkClaimedIdentity({ sender: sepp002, plmnIdList: [{ mcc: '002', mnc: '02' }, { mcc: '001', mnc: '01' }] }, [sepp002]);
    expect(result).toMatchObject({ ok: false, mismatch: 'PLMN_NOT_IN_CERTIFICATE', param: '/plmnIdList/1' });
  });

  it('accepts every PLMN of a multi-PLMN certificate', () => {
    const other = 'sepp.5gc.mnc003.mcc002.3gppnetwork.org';
    const result = checkClaimedIdentity({ sender: sepp002, plmnIdList: [{ mcc: '002', mnc: '02' }, { mcc: '002', mnc: '003' }] }, [sepp002, other]);
    expect(result.ok).toBe(true);
  });

  it('accepts a lab FQDN only when configured under exactly that name', () => {
    const claim = { sender: 'sepp1.localdomain', plmnIdList: [{ mcc: '999', mnc: '70' }] };
    expect(checkClaimedIdentity(claim, ['sepp1.localdomain'])).toMatchObject({ ok: false, mismatch: 'LAB_FQDN_NOT_CONFIGURED' });
    expect(checkClaimedIdentity(claim, ['sepp1.localdomain'], { fqdn: 'sepp2.localdomain', plmns: [{ mcc: '999', mnc: '70' }] }).ok).toBe(false);
    expect(checkClaimedIdentity(claim, ['sepp1.localdomain'], { fqdn: 'sepp1.localdomain', plmns: [{ mcc: '999', mnc: '70' }] }).ok).toBe(true);
    expect(
      checkClaimedIdentity(claim, ['sepp1.localdomain'], { fqdn: 'sepp1.localdomain', plmns: [{ mcc: '001', mnc: '01' }] }),
    ).toMatchObject({ ok: false, mismatch: 'PLMN_NOT_IN_CERTIFICATE' });
  });

  it('refuses a certificate without dNSNames', () => {
    expect(checkClaimedIdentity({ sender: sepp002 }, [])).toMatchObject({ ok: false, mismatch: 'NO_CERTIFICATE_IDENTITY' });
  });

  it('derives PLMN keys from SANs and checks N32-f PLMNs are a subset of N32-c', () => {
    expect([...certificatePlmnKeys([sepp002, 'n32f.sepp.5gc.mnc002.mcc002.3gppnetwork.org', 'x.localdomain'])]).toEqual(['002-002']);
    expect(plmnKeysNotCovered(['n32f.5gc.mnc002.mcc002.3gppnetwork.org'], [sepp002])).toEqual([]);
    expect(plmnKeysNotCovered(['n32f.5gc.mnc001.mcc001.3gppnetwork.org'], [sepp002])).toEqual(['001-001']);
  });
});
