import { generateKeyPairSync } from 'node:crypto';
import { hiddenNameKeyOf } from './hidden-name-key';

describe('hiddenNameKeyOf', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('gives every process holding the same TLS key the same 256-bit key, whatever PEM form the key file has', () => {
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' });
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' });
    const key = hiddenNameKeyOf(Buffer.from(pkcs8));
    expect(key).toHaveLength(32);
    expect(Buffer.from(hiddenNameKeyOf(sec1)).equals(Buffer.from(key))).toBe(true);
  });

  it('gives another TLS key another key, and is not the TLS key itself', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const key = Buffer.from(hiddenNameKeyOf(privateKey.export({ type: 'pkcs8', format: 'pem' })));
    expect(key.equals(Buffer.from(hiddenNameKeyOf(other.export({ type: 'pkcs8', format: 'pem' }))))).toBe(false);
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(der.includes(key.subarray(0, 8))).toBe(false);
  });

  it('refuses what is not a private key', () => {
    expect(() => hiddenNameKeyOf('not a key')).toThrow();
  });
});
