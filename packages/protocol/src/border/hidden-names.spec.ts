import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { encodeTelescopicLabel } from '../sbi/telescopic';
import { HiddenNameTable, hiddenLabel, hiddenNameKeysOf, isHiddenLabel } from './hidden-names';
import { Topology } from './topology';

const SEPP = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
/** Any FQDN of our PLMN 001/01 (what topology hiding hides). */
const ourFqdn = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => `${labels.join('.')}.5gc.mnc001.mcc001.3gppnetwork.org`);
const ipv4 = fc.ipV4();
const port = fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: null });

function topology(names = new HiddenNameTable()): Topology {
  return new Topology({ seppFqdn: SEPP, ownPlmns: [{ mcc: '001', mnc: '01' }], internalDomains: ['core.internal'], hideIpAddresses: true, names });
}

describe('hidden names', () => {
  it('hiding then recovering any FQDN, IP address or URI of ours returns it', () => {
    const t = topology();
    fc.assert(
      fc.property(fc.oneof(ourFqdn, ipv4, fc.ipV6().map((v) => `[${v}]`)), port, fc.constantFrom('', '/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions/1', '/cb?x=1#f'), fc.constantFrom('http', 'https'), (host, p, rest, scheme) => {
        const uri = `${scheme}://${host}${p === null ? '' : `:${p}`}${rest}`;
        const hidden = t.rewrite(uri, 'uri', 'hide');
        expect(hidden.kind).toBe('changed');
        const value = (hidden as { value: string }).value;
        // Nothing of the host is left: scheme, one hidden label under our SEPP, the rest as it was.
        expect(value).toBe(`${scheme}://${value.slice(scheme.length + 3, scheme.length + 3 + 29)}.${SEPP}${rest}`);
        expect(value.slice(scheme.length + 3, scheme.length + 3 + 29)).toMatch(/^h-0[a-z2-7]{26}$/);
        expect(t.rewrite(value, 'uri', 'recover')).toEqual({ kind: 'changed', value: uri });
        if (/^[a-z]/.test(host)) {
          const fqdn = t.rewrite(host, 'fqdn', 'hide') as { value: string };
          expect(t.rewrite(fqdn.value, 'fqdn', 'recover')).toEqual({ kind: 'changed', value: host });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('labels reveal nothing of the name: fixed length, base32 only, no piece of the name, not the public SHA-256 label, unlinkable across keys', () => {
    fc.assert(
      fc.property(fc.oneof(ourFqdn, ipv4), (name) => {
        const key = randomBytes(32);
        const hidden = hiddenLabel(key, name);
        expect(hidden).toMatch(/^h-0[a-z2-7]{26}$/);
        expect(isHiddenLabel(hidden)).toBe(true);
        for (const piece of name.split(/[.-]/).filter((p) => p.length >= 5)) expect(hidden).not.toContain(piece);
        // The telescopic opaque label is a plain SHA-256 anyone can recompute; the hidden one is not derived from it.
        const sha = createHash('sha256').update(name).digest('hex');
        expect(hidden).not.toContain(encodeTelescopicLabel(name).label.slice(3, 12));
        expect(hidden.slice(3)).not.toContain(sha.slice(0, 8));
        expect(hiddenLabel(randomBytes(32), name)).not.toBe(hidden);
        expect(hiddenLabel(key, name)).toBe(hidden);
      }),
      { numRuns: 300 },
    );
  });

  it('gives two names two labels, and every label the same length whatever the name', () => {
    const key = randomBytes(32);
    const labels = new Set<string>();
    for (let i = 0; i < 2_000; i++) labels.add(hiddenLabel(key, `nf${i}.5gc.mnc001.mcc001.3gppnetwork.org`));
    expect(labels.size).toBe(2_000);
    expect(new Set([...labels].map((l) => l.length))).toEqual(new Set([29]));
  });

  it('never hides foreign names, our SEPP itself, names under it, or relative references', () => {
    const t = topology();
    for (const value of ['http://udm.5gc.mnc002.mcc002.3gppnetwork.org:80/x', `https://${SEPP}/a`, `http://udm1--5gc--mnc001--mcc001--3gppnetwork--org.${SEPP}/x`, '/relative/path', 'https://example.com/cb']) {
      expect(t.rewrite(value, 'uri', 'hide')).toEqual({ kind: 'same' });
    }
    expect(t.rewrite('http://nf.core.internal:8080/x', 'uri', 'hide').kind).toBe('changed');
    expect(t.rewrite('10.1.2.3', 'ip', 'hide')).toEqual({ kind: 'remove' });
  });

  it('refuses what it cannot recover, and what it cannot read but that names a host of ours', () => {
    const t = topology();
    expect(t.rewrite(`http://h-0aaaaaaaaaaaaaaaaaaaaaaaaaa.${SEPP}/x`, 'uri', 'recover')).toEqual({ kind: 'failed', reason: expect.stringContaining('not a name this SEPP hid') });
    expect(t.rewrite('udm1.5gc.mnc001.mcc001.3gppnetwork.org:8080/x', 'uri', 'hide').kind).toBe('failed');
    expect(t.rewrite('see 10.0.0.7 for details', 'uri', 'hide').kind).toBe('failed');
  });

  it('recovers only with the table that hid, or one with its key that knows the name (another SEPP knows nothing)', () => {
    const hidden = (topology().rewrite('http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081/x', 'uri', 'hide') as { value: string }).value;
    expect(topology().rewrite(hidden, 'uri', 'recover').kind).toBe('failed');
  });

  it('with one key, labels handed out by one process are recovered by another primed with the apiRoots of our NFs', () => {
    const key = randomBytes(32);
    const udm = { scheme: 'http' as const, host: 'udm1.5gc.mnc001.mcc001.3gppnetwork.org', port: 8081 };
    const amf = { scheme: 'https' as const, host: 'amf1.5gc.mnc001.mcc001.3gppnetwork.org', port: null };
    const hider = topology(new HiddenNameTable(key));
    const hidden = [
      'http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081/nudm-sdm/v2/x',
      'https://amf1.5gc.mnc001.mcc001.3gppnetwork.org/namf-callback/v1/n1',
      'https://amf1.5gc.mnc001.mcc001.3gppnetwork.org:443/namf-callback/v1/n2',
    ].map((uri) => (hider.rewrite(uri, 'uri', 'hide') as { value: string }).value);
    const fqdn = (hider.rewrite(udm.host, 'fqdn', 'hide') as { value: string }).value;

    const other = new HiddenNameTable(key);
    const unprimed = topology(other);
    expect(unprimed.rewrite(hidden[0]!, 'uri', 'recover').kind).toBe('failed');
    expect(other.prime([udm, amf].flatMap(hiddenNameKeysOf))).toBe(4);
    const recovering = topology(other);
    expect(hidden.map((uri) => recovering.rewrite(uri, 'uri', 'recover'))).toEqual([
      { kind: 'changed', value: 'http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081/nudm-sdm/v2/x' },
      { kind: 'changed', value: 'https://amf1.5gc.mnc001.mcc001.3gppnetwork.org/namf-callback/v1/n1' },
      { kind: 'changed', value: 'https://amf1.5gc.mnc001.mcc001.3gppnetwork.org:443/namf-callback/v1/n2' },
    ]);
    expect(recovering.rewrite(fqdn, 'fqdn', 'recover')).toEqual({ kind: 'changed', value: udm.host });
    // A name not primed stays unknown, and another key's table primed alike recovers nothing.
    expect(recovering.rewrite((hider.rewrite('http://nrf1.5gc.mnc001.mcc001.3gppnetwork.org/x', 'uri', 'hide') as { value: string }).value, 'uri', 'recover').kind).toBe('failed');
    const stranger = new HiddenNameTable(randomBytes(32));
    stranger.prime([udm, amf].flatMap(hiddenNameKeysOf));
    expect(topology(stranger).rewrite(hidden[0]!, 'uri', 'recover').kind).toBe('failed');
  });

  it('primes no more names than its capacity', () => {
    const key = randomBytes(32);
    const table = new HiddenNameTable(key, 3);
    expect(table.prime(['a.example', 'b.example', 'c.example', 'd.example'])).toBe(3);
    expect(table.reveal(hiddenLabel(key, 'c.example'))).toBe('c.example');
    expect(table.reveal(hiddenLabel(key, 'd.example'))).toBeNull();
    expect(() => table.hide('e.example')).toThrow(/full/);
  });

  it('names an apiRoot by its host, and by host and port (the default one spelled out when it has none)', () => {
    expect(hiddenNameKeysOf({ scheme: 'http', host: 'udm1.example', port: 8081 })).toEqual(['udm1.example', 'udm1.example:8081']);
    expect(hiddenNameKeysOf({ scheme: 'https', host: 'udm1.example', port: null })).toEqual(['udm1.example', 'udm1.example:443']);
    expect(hiddenNameKeysOf({ scheme: 'http', host: '2001:db8::1', port: null })).toEqual(['[2001:db8::1]', '[2001:db8::1]:80']);
  });
});
