import { N32fErrorType } from '../n32f-error';
import { N32fCryptoError } from './errors';
import { MAX_SEQ } from './nonce';
import { REPLAY_WINDOW_SIZE, ReplayWindow, type ReplayVerdict } from './replay-window';

function acceptError(window: ReplayWindow, seq: number): N32fCryptoError {
  try {
    window.accept(seq);
  } catch (error) {
    if (error instanceof N32fCryptoError) return error;
    throw error;
  }
  throw new Error(`accept(${seq}) did not throw`);
}

describe('ReplayWindow (N32-DIGEST §5.6)', () => {
  it('has a 1024-entry window by default', () => {
    expect(REPLAY_WINDOW_SIZE).toBe(1024);
    expect(new ReplayWindow().size).toBe(1024);
  });

  it('accepts fresh SEQs and refuses a replay', () => {
    const window = new ReplayWindow();
    expect(window.highestSeen).toBeNull();
    expect(window.check(0)).toBe('fresh');
    window.accept(0);
    expect(window.check(0)).toBe('replayed');
    window.accept(1);
    expect(window.highestSeen).toBe(1);
    const error = acceptError(window, 1);
    expect(error.reason).toBe('replayed');
    expect(error.type).toBe(N32fErrorType.INTEGRITY_CHECK_FAILED);
  });

  it('check has no side effect: only accept records a SEQ', () => {
    const window = new ReplayWindow();
    expect(window.check(5)).toBe('fresh');
    expect(window.check(5)).toBe('fresh');
    expect(window.highestSeen).toBeNull();
  });

  it('accepts a reordered but fresh SEQ exactly once', () => {
    const window = new ReplayWindow();
    window.accept(10);
    expect(window.check(3)).toBe('fresh');
    window.accept(3);
    expect(window.check(3)).toBe('replayed');
    expect(window.check(4)).toBe('fresh');
    expect(window.highestSeen).toBe(10);
  });

  it('calls SEQs at or below highest-1024 too old', () => {
    const window = new ReplayWindow();
    window.accept(2000);
    expect(window.check(2000 - 1024)).toBe('too-old');
    expect(window.check(2000 - 1023)).toBe('fresh');
    const error = acceptError(window, 0);
    expect(error.reason).toBe('too-old');
    expect(error.type).toBe(N32fErrorType.INTEGRITY_CHECK_FAILED);
  });

  it('handles a jump of more than the window size', () => {
    const window = new ReplayWindow();
    for (let seq = 0; seq < 20; seq++) window.accept(seq);
    window.accept(100_000);
    expect(window.check(19)).toBe('too-old');
    expect(window.check(100_000)).toBe('replayed');
    // Slots reused by the new window start empty: nothing below the new top was seen.
    expect(window.check(100_000 - 1)).toBe('fresh');
    expect(window.check(100_000 - 1023)).toBe('fresh');
  });

  it('clears a reused slot when the window slides by less than its size', () => {
    const window = new ReplayWindow();
    window.accept(5);
    window.accept(6);
    // 1029 takes the ring slot of 5 (1029 % 1024); 6 is still inside the window.
    window.accept(1029);
    expect(window.check(5)).toBe('too-old');
    expect(window.check(6)).toBe('replayed');
    expect(window.check(1029)).toBe('replayed');
    expect(window.check(1028)).toBe('fresh');
    window.accept(1030);
    expect(window.check(6)).toBe('too-old');
    expect(window.check(1030)).toBe('replayed');
  });

  it('works at the top of the SEQ space', () => {
    const window = new ReplayWindow();
    window.accept(MAX_SEQ);
    expect(window.check(MAX_SEQ)).toBe('replayed');
    expect(window.check(MAX_SEQ - 1)).toBe('fresh');
    window.accept(MAX_SEQ - 31);
    expect(window.check(MAX_SEQ - 31)).toBe('replayed');
    expect(() => window.check(MAX_SEQ + 1)).toThrow(RangeError);
    expect(() => window.check(-1)).toThrow(RangeError);
  });

  it('agrees with a naive model on a long random reordered stream', () => {
    // Deterministic PRNG (mulberry32) so a failure is reproducible.
    let state = 0x5eed;
    const random = (): number => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const window = new ReplayWindow();
    const seen = new Set<number>();
    let highest = -1;
    let top = 0;
    const verdicts: Record<ReplayVerdict, number> = { fresh: 0, replayed: 0, 'too-old': 0 };
    for (let i = 0; i < 20_000; i++) {
      top += random() < 0.7 ? 1 : 0;
      if (random() < 0.01) top += Math.floor(random() * 3000);
      const seq = Math.max(0, top - Math.floor(random() * 1200));
      const expected: ReplayVerdict = seq > highest ? 'fresh' : highest - seq >= 1024 ? 'too-old' : seen.has(seq) ? 'replayed' : 'fresh';
      expect(window.check(seq)).toBe(expected);
      verdicts[expected]++;
      if (expected === 'fresh') {
        window.accept(seq);
        seen.add(seq);
        highest = Math.max(highest, seq);
      }
    }
    // The stream really exercised all three outcomes.
    expect(verdicts.fresh).toBeGreaterThan(1000);
    expect(verdicts.replayed).toBeGreaterThan(1000);
    expect(verdicts['too-old']).toBeGreaterThan(100);
  });

  it('supports other multiples of 32 and refuses bad sizes', () => {
    const small = new ReplayWindow(64);
    small.accept(100);
    expect(small.check(36)).toBe('too-old');
    expect(small.check(37)).toBe('fresh');
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
    expect(() => new ReplayWindow(100)).toThrow(RangeError);
  });
});
