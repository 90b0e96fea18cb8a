import { selectTrustAnchor, trustAnchorOverlaps, trustAnchorPlmnKeys } from './trust-anchors';

const PLMN1 = { mcc: '001', mnc: '01' };
const PLMN2 = { mcc: '002', mnc: '02' };
const PLMN3 = { mcc: '003', mnc: '003' };
/** RCA1 anchors PLMN1, RCA2 anchors PLMN2 and PLMN3 (TS 33.517 TC_CORRECT_TRUST_ANCHORING). */
const ANCHORS = [{ plmns: [PLMN1] }, { plmns: [PLMN2, PLMN3] }];

describe('selectTrustAnchor (TS 33.501 13.1.2)', () => {
  it('picks the one anchor of a certificate with one PLMN', () => {
    expect(selectTrustAnchor(['001-001'], ANCHORS)).toEqual({ ok: true, index: 0 });
    expect(selectTrustAnchor(['002-002'], ANCHORS)).toEqual({ ok: true, index: 1 });
  });

  it('picks the anchor when all PLMNs of the certificate belong to it', () => {
    expect(selectTrustAnchor(['002-002', '003-003'], ANCHORS)).toEqual({ ok: true, index: 1 });
    expect(selectTrustAnchor(new Set(['003-003', '002-002', '003-003']), ANCHORS)).toEqual({ ok: true, index: 1 });
  });

  it('refuses PLMN IDs that map to different anchors (C4: PLMN1 + PLMN2)', () => {
    const result = selectTrustAnchor(['001-001', '002-002'], ANCHORS);
    expect(result).toMatchObject({ ok: false, refusal: 'SEVERAL_ANCHORS' });
    if (!result.ok) expect(result.detail).toContain('001-001, 002-002');
  });

  it('refuses a PLMN that belongs to no anchor, also next to an anchored one', () => {
    expect(selectTrustAnchor(['009-009'], ANCHORS)).toMatchObject({ ok: false, refusal: 'NO_ANCHOR' });
    expect(selectTrustAnchor(['001-001', '009-009'], ANCHORS)).toMatchObject({ ok: false, refusal: 'NO_ANCHOR', detail: expect.stringContaining('009-009') });
  });

  it('refuses a certificate without PLMN IDs', () => {
    expect(selectTrustAnchor([], ANCHORS)).toMatchObject({ ok: false, refusal: 'NO_PLMN' });
  });

  it('compares MNCs in their 3-digit FQDN form (01 in configuration = mnc001 in a certificate)', () => {
    expect(selectTrustAnchor(['001-001'], [{ plmns: [{ mcc: '001', mnc: '001' }] }])).toEqual({ ok: true, index: 0 });
  });

  it('with no anchors at all, every PLMN is refused', () => {
    expect(selectTrustAnchor(['001-001'], [])).toMatchObject({ ok: false, refusal: 'NO_ANCHOR' });
  });
});

describe('trustAnchorPlmnKeys', () => {
  const peers = [{ fqdn: 'sepp1.localdomain', plmns: [PLMN1] }];

  it('reads the PLMN IDs from the SAN dNSNames', () => {
    expect([...trustAnchorPlmnKeys(['sepp.5gc.mnc002.mcc002.3gppnetwork.org', 'x.example.org'], peers)]).toEqual(['002-002']);
  });

  it('a lab certificate without PLMN labels takes the configured PLMNs of the peer it names', () => {
    expect([...trustAnchorPlmnKeys(['SEPP1.localdomain.'], peers)]).toEqual(['001-001']);
    expect([...trustAnchorPlmnKeys(['sepp9.localdomain'], peers)]).toEqual([]);
  });
});

describe('trustAnchorOverlaps', () => {
  it('is empty when every PLMN is in one anchor', () => {
    expect(trustAnchorOverlaps(ANCHORS)).toEqual([]);
  });

  it('names the later listing of a PLMN that is already anchored (also 01 vs 001)', () => {
    expect(trustAnchorOverlaps([{ plmns: [PLMN1] }, { plmns: [PLMN2, { mcc: '001', mnc: '001' }] }])).toEqual([{ anchor: 1, plmn: 1, firstAnchor: 0, text: '001-001' }]);
    expect(trustAnchorOverlaps([{ plmns: [PLMN1, PLMN1] }])).toEqual([{ anchor: 0, plmn: 1, firstAnchor: 0, text: '001-01' }]);
  });
});
