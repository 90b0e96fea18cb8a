import { createPrivateKey, hkdfSync } from 'node:crypto';

/** HKDF `info` of the hidden-name key: the key is for this use only. */
const HIDDEN_NAME_KEY_INFO = 'sepp topology hiding: hidden-name HMAC key';

/**
 * The HMAC key of hidden names (topology hiding), derived with HKDF-SHA-256 from the SEPP's N32
 * TLS private key (its PKCS#8 DER, whatever PEM form the file has). Every process holding that key
 * (both apps of the SEPP, each replica, the same process after a restart) hands out the same label
 * for a name, so any of them can recover the labels any other handed out, for the names it knows.
 * The label still tells nothing to anyone without the private key; a new TLS key (not a new
 * certificate for the same key) gives new labels from the next start on.
 */
export function hiddenNameKeyOf(tlsPrivateKey: Buffer | string): Uint8Array {
  const der = createPrivateKey(tlsPrivateKey).export({ type: 'pkcs8', format: 'der' });
  return new Uint8Array(hkdfSync('sha256', der, Buffer.alloc(0), HIDDEN_NAME_KEY_INFO, 32));
}
