import { hkdfSync } from 'node:crypto';
import { hkdfExpandSha256, MASTER_KEY_LENGTH, N32KdfLabel, n32Kdf, TLS_EXPORTER_LABEL } from './kdf';

// N32-DIGEST Appendix A inputs: master = 00 01 .. 3f, context ID "0123456789abcdef" as ASCII.
const MASTER = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
const CONTEXT_ID = '0123456789abcdef';

describe('N32-KDF (N32-DIGEST §5.5, Appendix A)', () => {
  it('exports the TLS exporter parameters', () => {
    expect(TLS_EXPORTER_LABEL).toBe('EXPORTER_3GPP_N32_MASTER');
    expect(MASTER_KEY_LENGTH).toBe(64);
  });

  it.each([
    [N32KdfLabel.PARALLEL_REQUEST_KEY, 16, '0d50a84ea2496a08d990dc3fbf58f803'],
    [N32KdfLabel.PARALLEL_REQUEST_KEY, 32, '0d50a84ea2496a08d990dc3fbf58f8036342cb3fd28d515295c933d697041d0f'],
    [N32KdfLabel.PARALLEL_REQUEST_IV_SALT, 8, '18b4a8842e1f0b24'],
    [N32KdfLabel.REVERSE_RESPONSE_KEY, 16, '1fdc2dbce2ada257365629910e6701fd'],
  ])('reproduces Appendix A: %s, L=%i', (label, length, hex) => {
    expect(n32Kdf(MASTER, CONTEXT_ID, label, length).toString('hex')).toBe(hex);
  });

  it('is not what Node hkdfSync gives (it runs Extract first): Appendix A "wrong" row', () => {
    const info = Buffer.from(`N32${CONTEXT_ID}parallel_request_key`, 'ascii');
    const wrong = Buffer.from(hkdfSync('sha256', MASTER, Buffer.alloc(0), info, 16));
    expect(wrong.toString('hex')).toBe('b2123b2adebb6fe1b8eb5bcd5ba06b3a');
    expect(n32Kdf(MASTER, CONTEXT_ID, 'parallel_request_key', 16).equals(wrong)).toBe(false);
  });

  it('uses info = "N32" || contextId || label', () => {
    const info = `N32${CONTEXT_ID}reverse_response_key`;
    expect(hkdfExpandSha256(MASTER, info, 16).toString('hex')).toBe('1fdc2dbce2ada257365629910e6701fd');
  });

  it('has the eight labels of 33.501 13.2.4.4.1, all giving different output', () => {
    const labels = Object.values(N32KdfLabel);
    expect(labels.sort()).toEqual(
      [
        'parallel_request_key',
        'parallel_response_key',
        'reverse_request_key',
        'reverse_response_key',
        'parallel_request_iv_salt',
        'parallel_response_iv_salt',
        'reverse_request_iv_salt',
        'reverse_response_iv_salt',
      ].sort(),
    );
    const outputs = new Set(labels.map((label) => n32Kdf(MASTER, CONTEXT_ID, label, 16).toString('hex')));
    expect(outputs.size).toBe(8);
  });

  it('treats the context ID as ASCII, case-sensitively', () => {
    expect(n32Kdf(MASTER, CONTEXT_ID.toUpperCase(), 'parallel_request_key', 16).toString('hex')).not.toBe('0d50a84ea2496a08d990dc3fbf58f803');
  });

  it('refuses a master key that is not 64 octets and a malformed context ID', () => {
    expect(() => n32Kdf(MASTER.subarray(0, 32), CONTEXT_ID, 'parallel_request_key', 16)).toThrow(RangeError);
    expect(() => n32Kdf(MASTER, '0123456789abcde', 'parallel_request_key', 16)).toThrow(TypeError);
    expect(() => n32Kdf(MASTER, '0123456789abcdeg', 'parallel_request_key', 16)).toThrow(TypeError);
  });
});

describe('hkdfExpandSha256 (RFC 5869 §2.3)', () => {
  it('matches the Expand step of RFC 5869 test case 1 (two HMAC blocks)', () => {
    const prk = Buffer.from('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5', 'hex');
    const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
    expect(hkdfExpandSha256(prk, info, 42).toString('hex')).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('gives prefixes of the same stream for different lengths', () => {
    const long = hkdfExpandSha256(MASTER, 'x', 100);
    expect(hkdfExpandSha256(MASTER, 'x', 33).equals(long.subarray(0, 33))).toBe(true);
  });

  it('refuses a PRK shorter than HashLen and lengths outside 1..8160', () => {
    expect(() => hkdfExpandSha256(Buffer.alloc(31), 'x', 16)).toThrow(RangeError);
    expect(() => hkdfExpandSha256(MASTER, 'x', 0)).toThrow(RangeError);
    expect(() => hkdfExpandSha256(MASTER, 'x', 8161)).toThrow(RangeError);
    expect(() => hkdfExpandSha256(MASTER, 'x', 1.5)).toThrow(RangeError);
    expect(hkdfExpandSha256(MASTER, 'x', 8160)).toHaveLength(8160);
  });
});
