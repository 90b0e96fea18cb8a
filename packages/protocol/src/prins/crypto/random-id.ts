import { randomFillSync } from 'node:crypto';

/**
 * 64-bit random identifiers as 16 hex digits (N32-f context IDs, `messageId`s), one per message on
 * the PRINS hot path. Drawn from the CSPRNG in 4 KiB batches rather than one 8-byte `randomBytes`
 * call each (a call into OpenSSL and a new Buffer per message); every byte is used once.
 */
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

export function randomHex64(): string {
  if (offset + 8 > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + 8);
  offset += 8;
  return id;
}
