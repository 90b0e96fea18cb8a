import {
  deriveN32fKeys,
  directionOf,
  JWE_KEY_LENGTH,
  N32F_DIRECTIONS,
  n32fDirection,
  sessionFor,
  type N32fMessageKind,
  type N32Role,
} from './key-schedule';

const MASTER = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
const CONTEXT_ID = '0123456789abcdef';

describe('deriveN32fKeys', () => {
  it('derives the Appendix A values into the right directions (A128GCM)', () => {
    const keys = deriveN32fKeys(MASTER, CONTEXT_ID, 'A128GCM');
    expect(keys.enc).toBe('A128GCM');
    expect(keys.contextId).toBe(CONTEXT_ID);
    expect(keys.parallelRequest.key.toString('hex')).toBe('0d50a84ea2496a08d990dc3fbf58f803');
    expect(keys.parallelRequest.salt.toString('hex')).toBe('18b4a8842e1f0b24');
    expect(keys.reverseResponse.key.toString('hex')).toBe('1fdc2dbce2ada257365629910e6701fd');
    for (const direction of N32F_DIRECTIONS) {
      expect(keys[direction].key).toHaveLength(16);
      expect(keys[direction].salt).toHaveLength(8);
    }
  });

  it('uses 32-octet keys for A256GCM (Appendix A 32-octet row), salts unchanged', () => {
    const keys = deriveN32fKeys(MASTER, CONTEXT_ID, 'A256GCM');
    expect(JWE_KEY_LENGTH).toEqual({ A128GCM: 16, A256GCM: 32 });
    expect(keys.parallelRequest.key.toString('hex')).toBe('0d50a84ea2496a08d990dc3fbf58f8036342cb3fd28d515295c933d697041d0f');
    expect(keys.parallelRequest.salt.toString('hex')).toBe('18b4a8842e1f0b24');
  });

  it('gives four distinct keys and four distinct salts', () => {
    const keys = deriveN32fKeys(MASTER, CONTEXT_ID, 'A128GCM');
    expect(new Set(N32F_DIRECTIONS.map((d) => keys[d].key.toString('hex'))).size).toBe(4);
    expect(new Set(N32F_DIRECTIONS.map((d) => keys[d].salt.toString('hex'))).size).toBe(4);
  });

  it('changes every key with the context ID (re-keying with a new ID)', () => {
    const a = deriveN32fKeys(MASTER, CONTEXT_ID, 'A128GCM');
    const b = deriveN32fKeys(MASTER, 'fedcba9876543210', 'A128GCM');
    for (const direction of N32F_DIRECTIONS) expect(a[direction].key.equals(b[direction].key)).toBe(false);
  });
});

describe('direction selection (N32-DIGEST §11 item 4)', () => {
  it('calls the session "parallel" when the initiator is the HTTP client', () => {
    expect(sessionFor('initiator')).toBe('parallel');
    expect(sessionFor('responder')).toBe('reverse');
    expect(directionOf('initiator', 'request')).toBe('parallelRequest');
    expect(directionOf('initiator', 'response')).toBe('parallelResponse');
    expect(directionOf('responder', 'request')).toBe('reverseRequest');
    expect(directionOf('responder', 'response')).toBe('reverseResponse');
  });

  it.each([
    ['initiator', 'request', 'send', 'parallelRequest'],
    ['initiator', 'response', 'receive', 'parallelResponse'],
    ['initiator', 'request', 'receive', 'reverseRequest'],
    ['initiator', 'response', 'send', 'reverseResponse'],
    ['responder', 'request', 'send', 'reverseRequest'],
    ['responder', 'response', 'receive', 'reverseResponse'],
    ['responder', 'request', 'receive', 'parallelRequest'],
    ['responder', 'response', 'send', 'parallelResponse'],
  ] as const)('%s %s %s -> %s', (role, kind, flow, expected) => {
    expect(n32fDirection(role, kind, flow)).toBe(expected);
  });

  it("always agrees with the peer: what one side sends with, the other receives with", () => {
    const roles: N32Role[] = ['initiator', 'responder'];
    const kinds: N32fMessageKind[] = ['request', 'response'];
    for (const role of roles) {
      const peer: N32Role = role === 'initiator' ? 'responder' : 'initiator';
      for (const kind of kinds) expect(n32fDirection(role, kind, 'send')).toBe(n32fDirection(peer, kind, 'receive'));
    }
  });
});
