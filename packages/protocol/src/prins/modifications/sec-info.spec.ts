import { generateKeyPairSync } from 'node:crypto';
import { samePublicKey, spkiBase64 } from './keys';
import { ipxKeysFromSecInfo, ipxProviderSecInfo } from './sec-info';
import { IPX_A, IPX_B, KEY_A, KEY_B } from './spec-fixtures';

describe('ipxProviderSecInfo / ipxKeysFromSecInfo (N32-DIGEST §3.2)', () => {
  it('sends base64 DER SPKI and reads it back as the keys of that RI', () => {
    const info = ipxProviderSecInfo({ ipxProviderId: 'IPX-A.roaming.example.org.', publicKeys: [KEY_A.privateKey] });
    expect(info).toEqual({ ipxProviderId: IPX_A, rawPublicKeyList: [spkiBase64(KEY_A.publicKey)] });
    expect(Buffer.from(info.rawPublicKeyList![0]!, 'base64').subarray(0, 2)).toEqual(Buffer.from([0x30, 0x59]));
    const { keysByIdentity, invalid } = ipxKeysFromSecInfo([info, { ipxProviderId: IPX_B, rawPublicKeyList: [KEY_B.publicKey.export({ format: 'pem', type: 'spki' }).toString()] }]);
    expect(invalid).toEqual([]);
    expect(samePublicKey(keysByIdentity.get(IPX_A)![0]!, KEY_A.publicKey)).toBe(true);
    expect(samePublicKey(keysByIdentity.get(IPX_B)![0]!, KEY_B.publicKey)).toBe(true);
  });

  it('reports entries that are not P-256 keys or certificates, by pointer', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const { keysByIdentity, invalid } = ipxKeysFromSecInfo([{ ipxProviderId: IPX_A, rawPublicKeyList: ['not base64!', spkiBase64(rsa), spkiBase64(KEY_A.publicKey)], certificateList: ['AAAA'] }]);
    expect(invalid.map((item) => item.param)).toEqual([
      '/ipxProviderSecInfoList/0/rawPublicKeyList/0',
      '/ipxProviderSecInfoList/0/rawPublicKeyList/1',
      '/ipxProviderSecInfoList/0/certificateList/0',
    ]);
    expect(keysByIdentity.get(IPX_A)).toHaveLength(1);
  });
});
