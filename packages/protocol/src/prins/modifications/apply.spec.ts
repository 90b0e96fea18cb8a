import type { DataToIntegrityProtectBlockData } from '../messages/bodies';
import { N32fErrorType, PrinsError } from '../n32f-error';
import { applyModifications } from './apply';
import { IPX_A, IPX_B, protectedRequest } from './spec-fixtures';
import type { PatchItem } from './types';

const AAD = protectedRequest().aad;

function refusal(run: () => unknown): PrinsError {
  try {
    run();
  } catch (error) {
    if (error instanceof PrinsError) return error;
    throw error;
  }
  throw new Error('expected a PrinsError');
}

const apply = (operations: PatchItem[], aad: DataToIntegrityProtectBlockData = AAD): DataToIntegrityProtectBlockData => applyModifications(aad, [{ identity: IPX_A, operations }]);

describe('applyModifications (RFC 6902 over the DataToIntegrityProtectBlock)', () => {
  it('applies the operations to a copy and leaves the input alone', () => {
    const before = JSON.stringify(AAD);
    const patched = apply([
      { op: 'replace', path: '/headers/2/value', value: 'hop-1' },
      { op: 'add', path: '/payload/-', value: { iePath: '/extra', ieValueLocation: 'BODY', value: { a: 1 } } },
      { op: 'remove', path: '/payload/1' },
    ]);
    expect(JSON.stringify(AAD)).toBe(before);
    expect(patched.headers![2]).toEqual({ header: 'x-ipx-route', value: 'hop-1' });
    expect(patched.payload!.map((entry) => entry.iePath)).toEqual(['/supiOrSuci', '/resynchronizationInfo', '/extra']);
    expect(apply([])).toEqual(AAD);
  });

  it('applies the RIs in hop order, each patch against the result of the one before', () => {
    const hopA: PatchItem[] = [{ op: 'add', path: '/headers/0', value: { header: 'x-ipx-route', value: 'added-by-a' } }];
    // Written against A's result: /headers/0 is A's entry, x-ipx-route of the sender is now /headers/3.
    const hopB: PatchItem[] = [
      { op: 'test', path: '/headers/0/value', value: 'added-by-a' },
      { op: 'replace', path: '/headers/0/value', value: 'changed-by-b' },
      { op: 'replace', path: '/headers/3/value', value: 'hop-2' },
    ];
    const patched = applyModifications(AAD, [
      { identity: IPX_A, operations: hopA },
      { identity: IPX_B, operations: hopB },
    ]);
    expect(patched.headers!.map((entry) => entry.value)).toEqual(['changed-by-b', 'application/json', { encBlockIndex: 0 }, 'hop-2']);
    // The other order does not apply: B's test fails before A's entry exists.
    const error = refusal(() =>
      applyModifications(AAD, [
        { identity: IPX_B, operations: hopB },
        { identity: IPX_A, operations: hopA },
      ]),
    );
    expect(error.type).toBe(N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED);
    expect(error.failedModifications).toEqual([{ ipxId: IPX_B, n32fErrorType: N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED }]);
  });

  it.each<[string, PatchItem, string]>([
    ['not a pointer', { op: 'replace', path: 'headers/2/value', value: 'x' }, 'headers/2/value'],
    ['a bad escape', { op: 'replace', path: '/headers/2/va~2lue', value: 'x' }, '/headers/2/va~2lue'],
    ['an index out of range', { op: 'replace', path: '/headers/9/value', value: 'x' }, '/headers/9/value'],
    ['an index with a leading zero', { op: 'replace', path: '/headers/02/value', value: 'x' }, '/headers/02/value'],
    ['"-" where a value must exist', { op: 'replace', path: '/headers/-', value: 'x' }, '/headers/-'],
    ['a missing parent', { op: 'add', path: '/nowhere/x', value: 1 }, '/nowhere/x'],
    ['an inherited member', { op: 'remove', path: '/metaData/toString' }, '/metaData/toString'],
    ['__proto__', { op: 'add', path: '/metaData/__proto__', value: { polluted: true } }, '/metaData/__proto__'],
    ['constructor', { op: 'replace', path: '/constructor', value: 1 }, '/constructor'],
    ['the whole document', { op: 'replace', path: '', value: {} }, ''],
    ['a missing from', { op: 'copy', from: '/headers/7', path: '/headers/-' }, '/headers/7'],
    ['a move into itself', { op: 'move', from: '/payload/1', path: '/payload/1/value' }, '/payload/1/value'],
    ['a test of nothing', { op: 'test', path: '/statusLine', value: '200' }, '/statusLine'],
  ])('refuses %s: MESSAGE_RECONSTRUCTION_FAILED, INVALID_JSON_POINTER', (_name, operation, attribute) => {
    const error = refusal(() => apply([operation]));
    expect(error.type).toBe(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED);
    expect(error.errorDetails).toEqual([{ attribute, msgReconstructFailReason: 'INVALID_JSON_POINTER' }]);
    expect(error.failedModifications).toEqual([{ ipxId: IPX_A, n32fErrorType: N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED }]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a failed test with MODIFICATIONS_INSTRUCTIONS_FAILED', () => {
    const error = refusal(() => apply([{ op: 'test', path: '/headers/2/value', value: 'not-this' }]));
    expect(error.type).toBe(N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED);
    expect(error.errorDetails).toEqual([]);
  });

  it('moves as RFC 6902 says: remove, then add on the result', () => {
    const patched = apply([{ op: 'move', from: '/headers/0', path: '/headers/2' }]);
    expect(patched.headers!.map((entry) => entry.header)).toEqual(['authorization', 'x-ipx-route', 'content-type']);
    // After the removal the list has 2 entries: index 3 does not exist.
    expect(refusal(() => apply([{ op: 'move', from: '/headers/0', path: '/headers/3' }])).errorDetails[0]!.attribute).toBe('/headers/3');
  });

  it('keeps members named __proto__ of the AAD as members', () => {
    const aad = JSON.parse(JSON.stringify(AAD).replace('"5G:mnc001.mcc001.3gppnetwork.org"', '{"__proto__":{"x":1}}')) as DataToIntegrityProtectBlockData;
    const patched = apply([{ op: 'replace', path: '/headers/2/value', value: 'hop-1' }], aad);
    expect(JSON.stringify(patched)).toContain('"value":{"__proto__":{"x":1}}');
    // Copying such a value would lose the member in the library: refused instead.
    const error = refusal(() => apply([{ op: 'copy', from: '/payload/1/value', path: '/payload/1/value/y' }], aad));
    expect(error.type).toBe(N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED);
  });
});
