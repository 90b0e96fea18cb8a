import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type PlmnId, plmnKey } from './plmn';

export type CaMode = 'per-plmn' | 'shared';

export const MANIFEST_FILE = 'manifest.json';
/** Every configuration can point here: the one CA (shared) or a bundle of all of them (per-plmn). */
export const CA_BUNDLE_FILE = 'ca.crt';

/** File names are relative to the manifest's directory so the set can be mounted anywhere. */
export interface PlmnCertificateFiles extends PlmnId {
  fqdn: string;
  /** Leaf followed by its issuing CA. */
  cert: string;
  key: string;
  /** The CA that issued `cert` (`ca.crt` in shared mode). */
  ca: string;
  caKey: string;
}

/** A certificate file and its private key. */
export interface CertificateFile {
  cert: string;
  key: string;
}

export interface BadCertificateFile {
  /** Leaf followed by its issuing CA, like the good ones, so only the named defect differs. */
  cert: string;
  key: string;
}

export interface BadCertificateFiles {
  /** First PLMN's FQDN, right CA, notAfter in the past. */
  expired: BadCertificateFile;
  /** First PLMN's FQDN, issued by `rogueCa`, which nobody trusts. */
  wrongCa: BadCertificateFile & { rogueCa: string };
  /** Right CA, SAN `fqdn` (belongs to no configured PLMN). */
  wrongSan: BadCertificateFile & { fqdn: string };
}

/**
 * A roaming intermediary's material (an IPX relay, apps/ipx): its own CA (never one of a PLMN),
 * a TLS certificate for its FQDN (server toward the sending SEPP, client toward the next hop) and
 * a separate ES256 key pair for the JWS it signs into `modificationsBlock`, certified by the same
 * CA. The SEPPs that work with it trust `ca` next to the PLMN roots; the signing certificate is
 * the leaf alone, so it can be given as `n32.peers[].ipx.signingKeys` as it is.
 */
export interface IpxCertificateFiles {
  fqdn: string;
  ca: string;
  caKey: string;
  /** Leaf followed by `ca`, SAN = fqdn, serverAuth + clientAuth. */
  tls: CertificateFile;
  /** Leaf alone (no chain), SAN = fqdn, digitalSignature, no extended key usage. */
  signing: CertificateFile;
}

/**
 * The operations and maintenance (OAM) side: a CA of its own (never a PLMN's, so no SEPP
 * certificate opens an admin listener) and one client certificate for operators and monitoring
 * (Prometheus) to present to admin listeners that require client certificates (`admin.tls.ca`).
 */
export interface OamCertificateFiles {
  ca: string;
  caKey: string;
  /** Leaf followed by `ca`, SAN `oam-client.sepp.local`, clientAuth only. */
  client: CertificateFile;
}

export interface CertificateSetManifest {
  version: 1;
  generatedAt: string;
  caMode: CaMode;
  caBundle: typeof CA_BUNDLE_FILE;
  plmns: PlmnCertificateFiles[];
  bad: BadCertificateFiles;
  /** Present when the set was asked for an IPX relay (`--ipx FQDN`). */
  ipx?: IpxCertificateFiles;
  /** Present when the set was asked for OAM material (`--oam`). */
  oam?: OamCertificateFiles;
  /** Every file of the set, manifest excluded; used to detect a damaged set and clean stale files. */
  files: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// Shallow on purpose: the manifest is our own output, this only has to notice foreign,
// truncated or older-format files so they get regenerated instead of trusted.
function isManifest(value: unknown): value is CertificateSetManifest {
  return (
    isRecord(value) &&
    value.version === 1 &&
    (value.caMode === 'per-plmn' || value.caMode === 'shared') &&
    Array.isArray(value.plmns) &&
    value.plmns.every((p) => isRecord(p) && typeof p.mcc === 'string' && typeof p.mnc === 'string') &&
    isRecord(value.bad) &&
    (value.ipx === undefined || (isRecord(value.ipx) && typeof value.ipx.fqdn === 'string' && isRecord(value.ipx.tls) && isRecord(value.ipx.signing))) &&
    (value.oam === undefined || (isRecord(value.oam) && typeof value.oam.ca === 'string' && isRecord(value.oam.client))) &&
    Array.isArray(value.files) &&
    value.files.every((f) => typeof f === 'string')
  );
}

export async function readManifest(outDir: string): Promise<CertificateSetManifest | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(outDir, MANIFEST_FILE), 'utf8'));
    return isManifest(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Order matters: the bad certificates are minted for the first PLMN. */
export function sameRequest(manifest: CertificateSetManifest, plmns: PlmnId[], caMode: CaMode): boolean {
  return (
    manifest.caMode === caMode &&
    manifest.plmns.length === plmns.length &&
    manifest.plmns.every((p, i) => plmns[i] !== undefined && plmnKey(p) === plmnKey(plmns[i]))
  );
}
