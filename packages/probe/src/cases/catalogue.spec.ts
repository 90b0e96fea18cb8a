import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MALFORMED_REQUESTS } from '../responder/malformed-table';
import { CASES } from './catalogue';
import { casesMarkdown } from './markdown';

const README = join(__dirname, '../../../../README.md');
const BEGIN = '<!-- probe-cases:begin (generated: sepp-probe cases --markdown) -->';
const END = '<!-- probe-cases:end -->';

describe('the case catalogue', () => {
  it('has unique IDs, a clause, an expectation and a role for every case', () => {
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    for (const c of CASES) {
      expect(c.id).toMatch(/^(tls|neg|release|id|malformed|cert|prins|init)\.[a-z0-9-]+$/);
      expect(c.clause.length).toBeGreaterThan(3);
      expect(c.expected.length).toBeGreaterThan(3);
    }
  });

  it('holds at least 50 malformed requests covering every kind the issue names', () => {
    expect(MALFORMED_REQUESTS.length).toBeGreaterThanOrEqual(50);
    for (const kind of ['json', 'missing', 'fqdn', 'plmn', 'body-', 'content-type', 'method', 'path', 'duplicate', 'number']) {
      expect(MALFORMED_REQUESTS.some((m) => m.id.includes(kind))).toBe(true);
    }
    for (const m of MALFORMED_REQUESTS) for (const status of m.statuses) expect(status).toBeGreaterThanOrEqual(400);
    // The methods and paths expect what TS 29.500 names: 405 with Allow, 404.
    for (const m of MALFORMED_REQUESTS.filter((r) => r.id.startsWith('malformed.method-'))) expect(m).toMatchObject({ statuses: [405], allow: expect.any(Array) });
    for (const m of MALFORMED_REQUESTS.filter((r) => r.id.startsWith('malformed.path-'))) expect(m.statuses).toEqual([404]);
  });

  it('every malformed body builds from the probe identity', () => {
    const inputs = { sender: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org', plmns: [{ mcc: '002', mnc: '02' }] };
    for (const m of MALFORMED_REQUESTS) {
      const body = m.body?.(inputs);
      if (m.method === 'GET' || m.method === 'DELETE') expect(body).toBeUndefined();
      else expect(body === undefined ? 0 : body.length).toBeGreaterThanOrEqual(0);
    }
  });

  it('the README table is the generated one (sepp-probe cases --markdown)', () => {
    const readme = readFileSync(README, 'utf8');
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + BEGIN.length, end).trim()).toBe(casesMarkdown().trim());
  });
});
