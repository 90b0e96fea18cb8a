import { N32fErrorType } from '../n32f-error';
import { N32fCryptoError } from './errors';
import { buildNonce, MAX_SEQ, NonceSequence, seqOf } from './nonce';

const SALT = Buffer.from('18b4a8842e1f0b24', 'hex');
const OTHER_SALT = Buffer.from('0102030405060708', 'hex');

describe('NonceSequence (salt || 32-bit big-endian SEQ)', () => {
  it('starts at SEQ 0 and counts up by one per nonce', () => {
    const nonces = new NonceSequence(SALT);
    expect(nonces.remaining).toBe(2 ** 32);
    const first = nonces.next();
    expect(first.seq).toBe(0);
    expect(first.iv.toString('hex')).toBe('18b4a8842e1f0b2400000000');
    expect(nonces.next().iv.toString('hex')).toBe('18b4a8842e1f0b2400000001');
    expect(nonces.next().seq).toBe(2);
    expect(nonces.remaining).toBe(2 ** 32 - 3);
  });

  it('keeps one counter per salt', () => {
    const a = new NonceSequence(SALT);
    const b = new NonceSequence(OTHER_SALT);
    a.next();
    a.next();
    expect(b.next()).toEqual({ iv: Buffer.from('010203040506070800000000', 'hex'), seq: 0 });
  });

  it('is big-endian across byte boundaries', () => {
    const nonces = new NonceSequence(SALT, { start: 0x01020304 });
    expect(nonces.next().iv.subarray(8).toString('hex')).toBe('01020304');
    expect(buildNonce(SALT, 256).subarray(8).toString('hex')).toBe('00000100');
  });

  it('hands out the last SEQ 2^32-1, then refuses forever instead of wrapping', () => {
    const nonces = new NonceSequence(SALT, { start: MAX_SEQ - 1 });
    expect(nonces.remaining).toBe(2);
    expect(nonces.next().seq).toBe(MAX_SEQ - 1);
    const last = nonces.next();
    expect(last.seq).toBe(MAX_SEQ);
    expect(last.iv.toString('hex')).toBe('18b4a8842e1f0b24ffffffff');
    expect(nonces.exhausted).toBe(true);
    expect(nonces.remaining).toBe(0);
    for (let i = 0; i < 2; i++) {
      let caught: unknown;
      try {
        nonces.next();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(N32fCryptoError);
      expect((caught as N32fCryptoError).reason).toBe('nonce-exhausted');
      expect((caught as N32fCryptoError).type).toBe(N32fErrorType.ENCRYPTION_KEY_EXPIRED);
    }
    expect(nonces.remaining).toBe(0);
  });

  it('copies the salt, so later changes to the caller buffer do not leak into nonces', () => {
    const salt = Buffer.from(SALT);
    const nonces = new NonceSequence(salt);
    salt.fill(0);
    expect(nonces.next().iv.subarray(0, 8).equals(SALT)).toBe(true);
    nonces.salt.fill(0);
    expect(nonces.next().iv.subarray(0, 8).equals(SALT)).toBe(true);
  });

  it('refuses a salt that is not 8 octets and a start outside 0..2^32-1', () => {
    expect(() => new NonceSequence(Buffer.alloc(7))).toThrow(RangeError);
    expect(() => new NonceSequence(SALT, { start: -1 })).toThrow(RangeError);
    expect(() => new NonceSequence(SALT, { start: 2 ** 32 })).toThrow(RangeError);
    expect(() => new NonceSequence(SALT, { start: 0.5 })).toThrow(RangeError);
    expect(() => buildNonce(SALT, 2 ** 32)).toThrow(RangeError);
  });
});

describe('seqOf', () => {
  it('reads the SEQ of an IV with the expected salt', () => {
    expect(seqOf(Buffer.from('18b4a8842e1f0b2400000000', 'hex'), SALT)).toBe(0);
    expect(seqOf(Buffer.from('18b4a8842e1f0b24ffffffff', 'hex'), SALT)).toBe(MAX_SEQ);
    expect(seqOf(buildNonce(SALT, 123456), SALT)).toBe(123456);
  });

  it('returns null for another salt or a length other than 12', () => {
    expect(seqOf(buildNonce(OTHER_SALT, 0), SALT)).toBeNull();
    expect(seqOf(Buffer.from('18b4a8842e1f0b2400000000', 'hex').subarray(0, 11), SALT)).toBeNull();
    expect(seqOf(Buffer.concat([buildNonce(SALT, 0), Buffer.alloc(1)]), SALT)).toBeNull();
    expect(seqOf(Buffer.alloc(0), SALT)).toBeNull();
  });

  it('works on a view into a larger buffer', () => {
    const big = Buffer.concat([Buffer.from('ffff', 'hex'), buildNonce(SALT, 7)]);
    expect(seqOf(big.subarray(2), SALT)).toBe(7);
  });
});
