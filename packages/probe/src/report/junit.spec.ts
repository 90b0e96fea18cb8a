import type { CaseResult } from '../cases/types';
import { toJUnit, xmlEscape } from './junit';
import { summarize, type ProbeReport } from './summary';

const result = (id: string, verdict: CaseResult['verdict'], observed: string, details: string[] = []): CaseResult => ({
  id,
  title: `title of ${id}`,
  clause: 'TS 33.501 13.5',
  level: 'shall',
  verdict,
  expected: 'what a SEPP does',
  observed,
  details,
  durationMs: 1234,
});

describe('JUnit XML', () => {
  it('escapes the five XML entities and drops characters XML 1.0 cannot carry', () => {
    expect(xmlEscape(`a<b>&"c"'d'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
    expect(xmlEscape('x\u0000y\u0007z\ufffe\tok\n')).toBe('xyz\tok\n');
    expect(xmlEscape('GOAWAY(code 0) ✓ 😀')).toBe('GOAWAY(code 0) ✓ 😀');
  });

  it('one testcase per case: failure, skipped, a warning as a passing case with its output', () => {
    const cases = [
      result('neg.offer-tls', 'pass', 'HTTP 200'),
      result('release.close-after-none', 'fail', 'no GOAWAY, connection still open <5000 ms>', ['the connection was kept after NONE']),
      result('cert.expired', 'skip', 'needs --ca-key'),
      result('neg.handshake-id', 'warn', 'not echoed'),
    ];
    const report: ProbeReport = { tool: 'sepp-probe', version: '0.1.0', role: 'responder', target: 'https://127.0.0.1:1 (a&b)', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 2500, summary: summarize(cases), cases };
    expect(toJUnit(report)).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="sepp-probe" tests="4" failures="1" errors="0" skipped="1" time="2.500">
  <testsuite name="sepp-probe responder https://127.0.0.1:1 (a&amp;b)" tests="4" failures="1" errors="0" skipped="1" time="2.500" timestamp="2025-01-01T00:00:00.000Z">
    <testcase classname="sepp-probe.responder.neg" name="neg.offer-tls: title of neg.offer-tls" time="1.234"/>
    <testcase classname="sepp-probe.responder.release" name="release.close-after-none: title of release.close-after-none" time="1.234">
      <failure message="no GOAWAY, connection still open &lt;5000 ms&gt;" type="shall">clause: TS 33.501 13.5
expected: what a SEPP does
seen: no GOAWAY, connection still open &lt;5000 ms&gt;
- the connection was kept after NONE</failure>
    </testcase>
    <testcase classname="sepp-probe.responder.cert" name="cert.expired: title of cert.expired" time="1.234">
      <skipped message="needs --ca-key"/>
    </testcase>
    <testcase classname="sepp-probe.responder.neg" name="neg.handshake-id: title of neg.handshake-id" time="1.234">
      <system-out>WARN (a &quot;should&quot; of TS 33.501 13.5)
clause: TS 33.501 13.5
expected: what a SEPP does
seen: not echoed</system-out>
    </testcase>
  </testsuite>
</testsuites>
`);
  });
});
