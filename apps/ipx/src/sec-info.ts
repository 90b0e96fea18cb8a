import { createPublicKey } from 'node:crypto';
import { ipxProviderSecInfo, type IpxProviderSecInfoData } from '@sepp/protocol';
import type { IpxConfig } from './config/ipx-config';

export interface IpxSecInfo {
  /** The TS 29.573 IpxProviderSecInfo entry (base64 DER SPKI; base64 DER certificate when configured). */
  readonly ipxProviderSecInfo: IpxProviderSecInfoData;
  /** The signing key's public key as a PEM SPKI file, for SEPP configurations that reference a file. */
  readonly publicKeyPem: string;
}

/** The IPX's public material for the SEPPs (N32-DIGEST §3.2 [D]). */
export function ipxSecInfo(config: Pick<IpxConfig, 'ipx'>): IpxSecInfo {
  const { fqdn, signingKey, certificate } = config.ipx;
  return {
    ipxProviderSecInfo: ipxProviderSecInfo({ ipxProviderId: fqdn, publicKeys: [signingKey], certificates: certificate ? [certificate] : [] }),
    publicKeyPem: createPublicKey(signingKey).export({ format: 'pem', type: 'spki' }).toString(),
  };
}
