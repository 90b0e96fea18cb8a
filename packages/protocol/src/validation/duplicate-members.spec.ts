import fc from 'fast-check';
import { N32Error } from '../errors';
import { assertUniqueMembers, duplicateMemberError, findDuplicateMember } from './duplicate-members';

describe('findDuplicateMember (TS 33.117 4.3.6.3)', () => {
  it('finds nothing in JSON without repeated names', () => {
    for (const text of ['{}', '[]', '1', '"a"', 'null', '{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}', '[{"x":1},{"x":1}]']) {
      expect(findDuplicateMember(text)).toBeNull();
    }
  });

  it('finds a repeated name at the top level', () => {
    expect(findDuplicateMember('{"sender":"a","supportedSecCapabilityList":["TLS"],"sender":"b"}')).toEqual({ pointer: '/sender', name: 'sender' });
  });

  it('names the pointer of a repeated name at any depth, through objects and arrays', () => {
    expect(findDuplicateMember('{"a":{"b":[0,{"c":1}, {"d":1,"d":2}]}}')).toEqual({ pointer: '/a/b/2/d', name: 'd' });
    expect(findDuplicateMember('{"plmnIdList":[{"mcc":"001","mnc":"01"},{"mcc":"002","mcc":"003","mnc":"02"}]}')).toEqual({ pointer: '/plmnIdList/1/mcc', name: 'mcc' });
    expect(findDuplicateMember('[[],[1,2],[{"x":{"y":1,"y":1}}]]')).toEqual({ pointer: '/2/0/x/y', name: 'y' });
  });

  it('compares names as decoded strings (escapes count), and escapes the pointer (RFC 6901)', () => {
    expect(findDuplicateMember('{"a":1,"\\u0061":2}')).toEqual({ pointer: '/a', name: 'a' });
    expect(findDuplicateMember('{"a/b~c":1,"a\\/b~c":2}')).toEqual({ pointer: '/a~1b~0c', name: 'a/b~c' });
  });

  it('is not fooled by braces, commas, colons and quotes inside strings', () => {
    expect(findDuplicateMember('{"a":"}{,\\"a\\":","b":"\\\\","c":[",",{"a":"]"}]}')).toBeNull();
    expect(findDuplicateMember('{"k":"{\\"k\\":1,\\"k\\":2}"}')).toBeNull();
    expect(findDuplicateMember('{"x":"\\\\","x":1}')).toEqual({ pointer: '/x', name: 'x' });
  });

  it('tells names from string values (a value equal to a name is no repetition)', () => {
    expect(findDuplicateMember('{"a":"a","b":"a"}')).toBeNull();
    expect(findDuplicateMember('{"a":["b","b"],"b":1}')).toBeNull();
  });

  it('handles 10k levels of nesting without recursion (objects and arrays)', () => {
    const depth = 10_000;
    expect(findDuplicateMember(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)).toBeNull();
    expect(findDuplicateMember(`${'['.repeat(depth)}${']'.repeat(depth)}`)).toBeNull();
    const deep = `${'{"a":'.repeat(depth)}{"z":1,"z":2}${'}'.repeat(depth)}`;
    const found = findDuplicateMember(deep);
    expect(found?.name).toBe('z');
    expect(found?.pointer).toBe(`${'/a'.repeat(depth)}/z`);
  });

  it('runs in linear time: 200k members and a 1 MB string value take well under a second', () => {
    const many = `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    const long = `{"a":"${'x'.repeat(1_000_000)}","b":1,"a":2}`;
    const started = performance.now();
    expect(findDuplicateMember(many)).toBeNull();
    expect(findDuplicateMember(long)).toEqual({ pointer: '/a', name: 'a' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('never throws on malformed text', () => {
    for (const text of ['{"a', '{"a":1,"a', '}}]]', '{"\\u00zz":1}', '{"a":1,,"a":2']) {
      expect(() => findDuplicateMember(text)).not.toThrow();
    }
  });

  it('agrees with a reference over generated JSON: JSON.stringify output never repeats a name, a spliced repetition is found', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (text) => {
        expect(findDuplicateMember(text)).toBeNull();
        const value: unknown = JSON.parse(text);
        if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
          const [first] = Object.keys(value);
          const repeated = `${text.slice(0, -1)},${JSON.stringify(first)}:0}`;
          expect(findDuplicateMember(repeated)?.name).toBe(first);
        }
      }),
    );
  });
});

describe('duplicateMemberError / assertUniqueMembers', () => {
  it('is a 400-class INVALID_MSG_FORMAT naming the pointer', () => {
    const error = duplicateMemberError({ pointer: '/a/0/b', name: 'b' });
    expect(error).toBeInstanceOf(N32Error);
    expect(error).toMatchObject({ code: 'INVALID_MSG_FORMAT', cause: 'INVALID_MSG_FORMAT', invalidParams: [{ param: '/a/0/b', reason: 'duplicate member name' }] });
    expect(() => assertUniqueMembers('{"a":1,"a":1}')).toThrow(N32Error);
    expect(() => assertUniqueMembers('{"a":1}')).not.toThrow();
  });
});
