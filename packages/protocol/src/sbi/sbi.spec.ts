import { apiRootKey, authorityOf, formatApiRoot, parseApiRoot } from './api-root';
import { endToEndHeaders, parseMessagePriority, parseOriginatingNetworkId } from './headers';
import { routeNfRequest, splitAuthority, type RoutingContext } from './nf-routing';
import { decodeDirectLabel, encodeTelescopicLabel, MAX_LABEL_LENGTH, TELESCOPIC_TABLE_MAX_OPAQUE, TelescopicMappingTable, telescopicLabelOf } from './telescopic';
import { N32Error } from '../errors';

describe('apiRoot (TS 29.500 3gpp-Sbi-Target-apiRoot)', () => {
  it.each([
    ['https://udm1.5gc.mnc001.mcc001.3gppnetwork.org', { scheme: 'https', host: 'udm1.5gc.mnc001.mcc001.3gppnetwork.org', port: null, prefix: '' }],
    ['http://UDM1.example.org:8081/prefix/a/', { scheme: 'http', host: 'udm1.example.org', port: 8081, prefix: '/prefix/a' }],
    ['http://127.0.0.1:8081', { scheme: 'http', host: '127.0.0.1', port: 8081, prefix: '' }],
    ['https://[2001:db8::1]:443', { scheme: 'https', host: '2001:db8::1', port: 443, prefix: '' }],
  ])('parses %s', (text, expected) => expect(parseApiRoot(text)).toEqual(expected));

  it.each(['ftp://a.org', 'https://', 'https://a.org:0', 'https://a.org:70000', 'udm1.example.org', 'https://a..org', 'https://a.org?x=1', 'https://a b.org'])(
    'refuses %s',
    (text) => expect(parseApiRoot(text)).toBeNull(),
  );

  it('compares by an explicit-port key and writes the minimal authority', () => {
    const a = parseApiRoot('https://nf.example.org')!;
    const b = parseApiRoot('https://nf.example.org:443/')!;
    expect(apiRootKey(a)).toBe(apiRootKey(b));
    expect(apiRootKey(a)).toBe('https://nf.example.org:443');
    expect(authorityOf(b)).toBe('nf.example.org');
    expect(formatApiRoot(parseApiRoot('http://nf.example.org:8081/p')!)).toBe('http://nf.example.org:8081/p');
  });
});

describe('telescopic FQDN labels', () => {
  it('encodes reversibly with escaped hyphens', () => {
    for (const fqdn of ['udm1.5gc.mnc001.mcc001.3gppnetwork.org', 'ausf-2.example.org', 'a-1.b--c.d']) {
      const { label, opaque } = encodeTelescopicLabel(fqdn);
      expect(opaque).toBe(false);
      expect(label).toMatch(/^[a-z0-9-]{1,63}$/);
      expect(decodeDirectLabel(label)).toBe(fqdn);
    }
    expect(encodeTelescopicLabel('udm1.5gc.mnc001.mcc001.3gppnetwork.org').label).toBe('udm1--5gc--mnc001--mcc001--3gppnetwork--org');
    expect(encodeTelescopicLabel('ausf-2.example.org').label).toBe('ausf-12--example--org');
  });

  it('uses a table for FQDNs too long for one label', () => {
    const long = 'nf-instance-with-a-long-name.region-a.5gc.mnc001.mcc001.3gppnetwork.org';
    const table = new TelescopicMappingTable('sepp.5gc.mnc002.mcc002.3gppnetwork.org');
    const label = table.labelFor(long);
    expect(label).toMatch(/^m-0[a-z2-7]{26}$/);
    expect(label.length).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
    expect(table.fqdnFor(label)).toBe(long);
    expect(new TelescopicMappingTable('x.org').fqdnFor(label)).toBeNull();
    expect(table.labelFor(long)).toBe(label);
    expect(table.telescopicFqdn(long)).toBe(`${label}.sepp.5gc.mnc002.mcc002.3gppnetwork.org`);
  });

  it('remembers at most maxOpaque opaque labels, forgetting the one handed out least recently (TELESCOPIC_TABLE_MAX_OPAQUE by default)', () => {
    const name = (i: number): string => `nf-instance-with-a-long-name-${i}.region-a.5gc.mnc001.mcc001.3gppnetwork.org`;
    const table = new TelescopicMappingTable('sepp.5gc.mnc002.mcc002.3gppnetwork.org', 3);
    const labels = [0, 1, 2].map((i) => table.labelFor(name(i)));
    table.labelFor(name(0)); // handed out again: the newest now
    const fourth = table.labelFor(name(3));
    expect(table.opaqueCount).toBe(3);
    expect(table.fqdnFor(labels[1]!)).toBeNull();
    expect([labels[0]!, labels[2]!, fourth].map((label) => table.fqdnFor(label))).toEqual([name(0), name(2), name(3)]);
    // Direct labels are never remembered, so never forgotten.
    const big = new TelescopicMappingTable('x.org');
    for (let i = 0; i < TELESCOPIC_TABLE_MAX_OPAQUE + 10; i += 1) big.labelFor(name(i));
    expect(big.opaqueCount).toBe(TELESCOPIC_TABLE_MAX_OPAQUE);
    expect(big.fqdnFor(big.labelFor('udm1.example.org'))).toBe('udm1.example.org');
  });

  it('finds the label of an authority under our domain only', () => {
    expect(telescopicLabelOf('abc.sepp.example.org', 'sepp.example.org')).toBe('abc');
    expect(telescopicLabelOf('a.b.sepp.example.org', 'sepp.example.org')).toBeNull();
    expect(telescopicLabelOf('sepp.example.org', 'sepp.example.org')).toBeNull();
    expect(decodeDirectLabel('a-x')).toBeNull();
  });
});

describe('hop-by-hop headers', () => {
  it('keeps end-to-end headers only', () => {
    expect(
      endToEndHeaders({
        ':method': 'GET',
        connection: 'x-secret, keep-alive',
        'x-secret': '1',
        'keep-alive': '5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        host: 'a',
        accept: 'application/json',
        '3gpp-sbi-target-apiroot': 'https://a.org',
        'content-length': 5,
      }),
    ).toEqual({ accept: 'application/json', '3gpp-sbi-target-apiroot': 'https://a.org', 'content-length': '5' });
    expect(endToEndHeaders({ a: '1', b: '2' }, 'b')).toEqual({ a: '1' });
  });

  it('reads 3gpp-Sbi-Originating-Network-Id', () => {
    expect(parseOriginatingNetworkId('002-02')).toEqual({ mcc: '002', mnc: '02' });
    expect(parseOriginatingNetworkId('002-020-0123456789a')).toEqual({ mcc: '002', mnc: '020' });
    expect(parseOriginatingNetworkId('bogus')).toBeNull();
  });

  it('reads 3gpp-Sbi-Message-Priority as its ABNF allows (0..31, no sign or leading zero, whitespace around)', () => {
    for (let priority = 0; priority <= 31; priority++) expect(parseMessagePriority(String(priority))).toBe(priority);
    expect(parseMessagePriority(' 7\t')).toBe(7);
    for (const bad of ['32', '-1', '+1', '07', '00', '1.0', '1 2', 'high', '', ' ', '０']) expect(parseMessagePriority(bad)).toBeUndefined();
    expect(parseMessagePriority(undefined)).toBeUndefined();
    // Repeated: no single priority of the message.
    expect(parseMessagePriority(['1', '2'])).toBeUndefined();
  });
});

describe('routeNfRequest (cSEPP)', () => {
  const context: RoutingContext = {
    seppFqdn: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org',
    ownPlmns: [{ mcc: '002', mnc: '02' }],
    peers: [{ fqdn: 'sepp.5gc.mnc001.mcc001.3gppnetwork.org', plmns: [{ mcc: '001', mnc: '01' }] }],
    telescopic: new TelescopicMappingTable('sepp.5gc.mnc002.mcc002.3gppnetwork.org'),
  };
  const codeOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      if (error instanceof N32Error) return error.code;
    }
    return 'none';
  };

  it('routes by 3gpp-Sbi-Target-apiRoot to the peer of the target PLMN', () => {
    const route = routeNfRequest({ targetApiRoot: 'https://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8443/p', authority: 'sepp:7777', scheme: 'http' }, context);
    expect(route).toMatchObject({ peer: 'sepp.5gc.mnc001.mcc001.3gppnetwork.org', plmnKey: '001-001', via: 'target-api-root', target: { port: 8443, prefix: '/p' } });
  });

  it('routes a telescopic authority with its port and scheme', () => {
    const route = routeNfRequest({ authority: 'udm1--5gc--mnc001--mcc001--3gppnetwork--org.sepp.5gc.mnc002.mcc002.3gppnetwork.org:8081', scheme: 'http' }, context);
    expect(route).toMatchObject({ via: 'telescopic', target: { scheme: 'http', host: 'udm1.5gc.mnc001.mcc001.3gppnetwork.org', port: 8081 } });
  });

  it.each([
    [{ authority: '127.0.0.1:7777', scheme: 'http' as const }, 'NF_TARGET_MISSING'],
    [{ targetApiRoot: 'not a root', authority: 'x', scheme: 'http' as const }, 'NF_TARGET_INVALID'],
    [{ targetApiRoot: 'http://127.0.0.1:8081', authority: 'x', scheme: 'http' as const }, 'NF_TARGET_INVALID'],
    [{ targetApiRoot: 'https://nrf.5gc.mnc002.mcc002.3gppnetwork.org', authority: 'x', scheme: 'http' as const }, 'NF_TARGET_INVALID'],
    [{ targetApiRoot: 'https://udm.5gc.mnc003.mcc003.3gppnetwork.org', authority: 'x', scheme: 'http' as const }, 'NO_PEER_FOR_PLMN'],
    [{ authority: 'm-0aaaaaaaaaaaaaaaaaaaaaaaaaa.sepp.5gc.mnc002.mcc002.3gppnetwork.org', scheme: 'http' as const }, 'UNKNOWN_TELESCOPIC_LABEL'],
  ])('refuses %j with %s', (address, code) => expect(codeOf(() => routeNfRequest(address, context))).toBe(code));

  it('splits authorities', () => {
    expect(splitAuthority('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(splitAuthority('Example.org')).toEqual({ host: 'example.org', port: null });
  });
});
