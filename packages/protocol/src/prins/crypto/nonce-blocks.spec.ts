import { N32fErrorType } from '../n32f-error';
import { N32fCryptoError } from './errors';
import { BlockNonceSequence, NonceBlockPending } from './nonce-blocks';
import { MAX_SEQ } from './nonce';

const SALT = Buffer.from('0102030405060708', 'hex');

describe('BlockNonceSequence', () => {
  it('uses only the SEQs of the blocks it was given, in order, each once', () => {
    const sequence = new BlockNonceSequence(SALT);
    expect(() => sequence.next()).toThrow(NonceBlockPending);
    sequence.addBlock(10, 13);
    sequence.addBlock(100, 102);
    expect(sequence.available).toBe(5);
    const seqs = Array.from({ length: 5 }, () => sequence.next());
    expect(seqs.map((n) => n.seq)).toEqual([10, 11, 12, 100, 101]);
    expect(seqs[0]!.iv.subarray(0, 8)).toEqual(SALT);
    expect(seqs[0]!.iv.readUInt32BE(8)).toBe(10);
    expect(() => sequence.next()).toThrow(NonceBlockPending);
    expect(sequence.highestReserved).toBe(102);
  });

  it('drops the rest of an old block on request', () => {
    const sequence = new BlockNonceSequence(SALT);
    sequence.addBlock(0, 10);
    sequence.addBlock(50, 60);
    sequence.next();
    sequence.dropCurrent();
    expect(sequence.next().seq).toBe(50);
  });

  it('counts what is left of the SEQ space and ends with nonce-exhausted, never wrapping', () => {
    const sequence = new BlockNonceSequence(SALT, MAX_SEQ - 9);
    expect(sequence.remaining).toBe(10);
    sequence.addBlock(MAX_SEQ - 1, MAX_SEQ + 100);
    expect(sequence.available).toBe(2);
    expect(sequence.remaining).toBe(2);
    expect(sequence.next().seq).toBe(MAX_SEQ - 1);
    expect(sequence.next().seq).toBe(MAX_SEQ);
    let error: unknown;
    try {
      sequence.next();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(N32fCryptoError);
    expect((error as N32fCryptoError).type).toBe(N32fErrorType.ENCRYPTION_KEY_EXPIRED);
  });

  it('a block past the SEQ space marks the direction spent', () => {
    const sequence = new BlockNonceSequence(SALT);
    sequence.addBlock(2 ** 32, 2 ** 32 + 10);
    expect(sequence.remaining).toBe(0);
    expect(() => sequence.next()).toThrow(N32fCryptoError);
  });
});
