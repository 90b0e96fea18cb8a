import { N32fErrorType } from '../n32f-error';
import { ChunkedReplayWindow } from './chunked-replay-window';
import { N32fCryptoError } from './errors';

function refusal(window: ChunkedReplayWindow, seq: number): N32fCryptoError {
  try {
    window.accept(seq);
  } catch (error) {
    if (error instanceof N32fCryptoError) return error;
    throw error;
  }
  throw new Error(`accept(${seq}) was not refused`);
}

describe('ChunkedReplayWindow', () => {
  it('accepts every SEQ once, in any order, and refuses the repeat', () => {
    const window = new ChunkedReplayWindow(64, 4);
    for (const seq of [5, 0, 63, 64, 6, 200]) {
      expect(window.check(seq)).toBe('fresh');
      window.accept(seq);
      expect(window.check(seq)).toBe('replayed');
    }
    const error = refusal(window, 63);
    expect(error.reason).toBe('replayed');
    expect(error.type).toBe(N32fErrorType.INTEGRITY_CHECK_FAILED);
  });

  it('accepts interleaved SEQ blocks of several senders far apart (the clustered sender case)', () => {
    const window = new ChunkedReplayWindow(1024, 64);
    // Three senders with blocks 1024 apart, sending turn by turn.
    for (let i = 0; i < 1000; i++) for (const base of [0, 1024, 2048]) window.accept(base + i);
    for (const base of [0, 1024, 2048]) expect(window.check(base + 999)).toBe('replayed');
    // A fourth block 40,000 SEQs above still leaves the first blocks checkable.
    window.accept(40_000);
    expect(window.check(5)).toBe('replayed');
    expect(window.check(1000)).toBe('fresh');
  });

  it('drops the lowest chunk when full and refuses everything below the new floor', () => {
    const window = new ChunkedReplayWindow(32, 2);
    window.accept(1); // chunk 0
    window.accept(40); // chunk 1
    window.accept(70); // chunk 2: chunk 0 goes, floor 32
    expect(window.floor).toBe(32);
    expect(window.check(2)).toBe('too-old');
    expect(refusal(window, 1).reason).toBe('too-old');
    expect(window.check(40)).toBe('replayed');
    expect(window.check(41)).toBe('fresh');
  });

  it('a SEQ of a chunk below every kept chunk, with the window full, is accepted once then too old', () => {
    const window = new ChunkedReplayWindow(32, 2);
    window.accept(100); // chunk 3
    window.accept(130); // chunk 4
    window.accept(10); // chunk 0: added and dropped at once, floor 32
    expect(window.check(10)).toBe('too-old');
    expect(window.check(100)).toBe('replayed');
  });

  it('check has no side effect', () => {
    const window = new ChunkedReplayWindow();
    expect(window.check(7)).toBe('fresh');
    expect(window.check(7)).toBe('fresh');
  });

  it('refuses bad sizes and SEQs', () => {
    expect(() => new ChunkedReplayWindow(33)).toThrow(RangeError);
    expect(() => new ChunkedReplayWindow(32, 0)).toThrow(RangeError);
    expect(() => new ChunkedReplayWindow().check(-1)).toThrow(RangeError);
    expect(() => new ChunkedReplayWindow().check(2 ** 32)).toThrow(RangeError);
  });
});
