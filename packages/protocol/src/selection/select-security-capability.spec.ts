import { evaluateSelection, selectSecurityCapability, type IntermediaryPolicy } from './select-security-capability';

describe('selectSecurityCapability (responder, DECISIONS.md §3-4)', () => {
  const both = ['TLS', 'PRINS'] as const;
  const table: [string, string[], readonly ('TLS' | 'PRINS')[], IntermediaryPolicy, string, string][] = [
    ['TLS-only both sides', ['TLS'], ['TLS'], 'none', 'TLS', 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES'],
    ['no intermediaries prefers TLS over the initiator preferring PRINS', ['PRINS', 'TLS'], both, 'none', 'TLS', 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES'],
    ['no intermediaries, PRINS the only common mechanism', ['PRINS'], both, 'none', 'PRINS', 'PRINS_AS_ONLY_COMMON_MECHANISM'],
    ['PRINS preferred by initiator, intermediaries on path', ['PRINS', 'TLS'], both, 'modifying', 'PRINS', 'PRINS_REQUIRED_BY_INTERMEDIARIES'],
    ['intermediaries require PRINS even when TLS comes first', ['TLS', 'PRINS'], both, 'modifying', 'PRINS', 'PRINS_REQUIRED_BY_INTERMEDIARIES'],
    ['intermediaries require PRINS, initiator lacks it', ['TLS'], both, 'modifying', 'NONE', 'PRINS_REQUIRED_BUT_NOT_COMMON'],
    ['intermediaries require PRINS, responder lacks it', ['TLS', 'PRINS'], ['TLS'], 'modifying', 'NONE', 'PRINS_REQUIRED_BUT_NOT_COMMON'],
    ['ip-routing follows the initiator: PRINS first', ['PRINS', 'TLS'], both, 'ip-routing', 'PRINS', 'INITIATOR_PRIORITY'],
    ['ip-routing follows the initiator: TLS first', ['TLS', 'PRINS'], both, 'ip-routing', 'TLS', 'INITIATOR_PRIORITY'],
    ['ip-routing skips what we do not support', ['PRINS', 'TLS'], ['TLS'], 'ip-routing', 'TLS', 'INITIATOR_PRIORITY'],
    ['no common mechanism', ['PRINS'], ['TLS'], 'none', 'NONE', 'NO_COMMON_MECHANISM'],
    ['no common mechanism under ip-routing', ['TLS'], ['PRINS'], 'ip-routing', 'NONE', 'NO_COMMON_MECHANISM'],
    ['duplicates are harmless', ['TLS', 'TLS', 'PRINS', 'TLS'], both, 'ip-routing', 'TLS', 'INITIATOR_PRIORITY'],
    ['unknown strings are skipped', ['ALS', 'QUANTUM', 'PRINS'], both, 'ip-routing', 'PRINS', 'INITIATOR_PRIORITY'],
    ['only unknown strings', ['ALS', 'tls', ''], both, 'none', 'NONE', 'NO_COMMON_MECHANISM'],
    ['NONE among mechanisms is ignored', ['NONE', 'TLS'], both, 'none', 'TLS', 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES'],
    ['["NONE"] is a release', ['NONE'], both, 'none', 'NONE', 'RELEASE_REQUESTED'],
    ['["NONE", "NONE"] is a release', ['NONE', 'NONE'], both, 'modifying', 'NONE', 'RELEASE_REQUESTED'],
    ['we support nothing', ['TLS', 'PRINS'], [], 'none', 'NONE', 'NO_COMMON_MECHANISM'],
  ];

  it.each(table)('%s', (_name, offered, local, policy, selected, reason) => {
    const result = selectSecurityCapability(offered, local, policy);
    expect(result.selected).toBe(selected);
    expect(result.reason).toBe(reason);
  });

  it('reports the common mechanisms in the initiator order without duplicates', () => {
    expect(selectSecurityCapability(['PRINS', 'ALS', 'TLS', 'PRINS'], ['TLS', 'PRINS'], 'none').common).toEqual(['PRINS', 'TLS']);
  });
});

describe('evaluateSelection (initiator)', () => {
  it('accepts an offered, known mechanism', () => {
    expect(evaluateSelection(['TLS', 'PRINS'], 'PRINS', 'none')).toEqual({ accepted: true, mechanism: 'PRINS' });
  });
  it.each([
    [['TLS'], 'NONE', 'none', 'NO_COMMON_MECHANISM'],
    [['TLS'], 'ALS', 'none', 'UNKNOWN_MECHANISM'],
    [['TLS'], '', 'none', 'UNKNOWN_MECHANISM'],
    [['TLS'], 'PRINS', 'none', 'NOT_OFFERED'],
    [['TLS', 'PRINS'], 'TLS', 'modifying', 'POLICY_VIOLATION'],
  ] as const)('offered %j, selected %s under %s -> %s', (offered, selected, policy, verdict) => {
    const result = evaluateSelection(offered, selected, policy);
    expect(result.accepted).toBe(false);
    if (!result.accepted) expect(result.verdict).toBe(verdict);
  });
});
