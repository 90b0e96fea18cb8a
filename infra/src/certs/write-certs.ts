import { access, chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createCa, createLeaf, type MintedCa, type MintedLeaf, mintExpired, mintSeppCertificate } from './cert-factory';
import {
  type BadCertificateFile,
  CA_BUNDLE_FILE,
  type CaMode,
  type CertificateSetManifest,
  type IpxCertificateFiles,
  MANIFEST_FILE,
  type OamCertificateFiles,
  type PlmnCertificateFiles,
  readManifest,
  sameRequest,
} from './manifest';
import { assertPlmn, type PlmnId, plmnKey, seppFqdn } from './plmn';

export const WRONG_SAN_FQDN = seppFqdn({ mcc: '999', mnc: '999' });

export interface CertificateSetOptions {
  outDir: string;
  plmns: PlmnId[];
  caMode: CaMode;
  /**
   * Also mint an IPX relay's material under `ipx/` (IpxCertificateFiles): its own CA, a TLS
   * certificate for `fqdn` and a separate ES256 signing key. Added to a matching set that lacks it
   * (or names another FQDN) without touching the SEPP certificates; without this option a set
   * that has one is still a match.
   */
  ipx?: { fqdn: string };
  /**
   * Also mint OAM material under `oam/` (OamCertificateFiles): a CA and a client certificate for
   * admin listeners with `admin.tls.ca`. Added to a matching set that lacks it, like `ipx`.
   */
  oam?: boolean;
  /** Regenerate even when the directory already holds a matching set. */
  force?: boolean;
  /** Called with the absolute path of each file written (CLI progress output). */
  onWrite?: (file: string) => void;
}

interface IssuedCa {
  ca: MintedCa;
  cert: string;
  key: string;
}

class SetWriter {
  readonly files: string[] = [];

  constructor(
    private readonly outDir: string,
    private readonly onWrite?: (file: string) => void,
  ) {}

  async write(name: string, content: string, secret = false): Promise<string> {
    const file = path.join(this.outDir, name);
    await mkdir(path.dirname(file), { recursive: true });
    const mode = secret ? 0o600 : 0o644;
    await writeFile(file, content, { mode });
    // writeFile's mode only applies when it creates the file; an older key file keeps its mode.
    await chmod(file, mode);
    this.files.push(name);
    this.onWrite?.(file);
    return name;
  }

  async leaf(base: string, leaf: MintedLeaf): Promise<BadCertificateFile> {
    return { cert: await this.write(`${base}.crt`, leaf.chainPem), key: await this.write(`${base}.key`, leaf.keyPem, true) };
  }
}

function checkRequest(plmns: PlmnId[]): void {
  if (plmns.length === 0) {
    throw new RangeError('writeCertificateSet needs at least one PLMN');
  }
  plmns.forEach(assertPlmn);
  const keys = plmns.map(plmnKey);
  const duplicate = keys.find((key, i) => keys.indexOf(key) !== i);
  if (duplicate) {
    throw new RangeError(`PLMN ${duplicate} is listed twice`);
  }
}

/** File names of the IPX part of a set (`ipx/`). */
export const IPX_FILES = {
  ca: 'ipx/ca.crt',
  caKey: 'ipx/ca.key',
  tls: { cert: 'ipx/ipx.crt', key: 'ipx/ipx.key' },
  signing: { cert: 'ipx/ipx-signing.crt', key: 'ipx/ipx-signing.key' },
} as const;

/** An FQDN as a certificate's SAN dNSName takes it: labels of letters, digits and hyphens. */
const FQDN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

function checkIpx(ipx: { fqdn: string } | undefined): void {
  if (ipx && !FQDN.test(ipx.fqdn.toLowerCase())) {
    throw new RangeError(`invalid IPX FQDN "${ipx.fqdn}": expected a DNS name such as ipx.roaming.example.org`);
  }
}

/** The IPX's CA, TLS certificate and signing key pair (see IpxCertificateFiles). */
async function issueIpx(w: SetWriter, fqdn: string): Promise<IpxCertificateFiles> {
  const ca = await createCa({ commonName: `IPX CA ${fqdn}` });
  const caFiles = { ca: await w.write(IPX_FILES.ca, ca.certPem), caKey: await w.write(IPX_FILES.caKey, ca.keyPem, true) };
  const tls = await createLeaf({ ca, dnsNames: [fqdn] });
  // A key pair of its own for the JWS (TS 33.501 13.2.4.5: the RI signs with its own key, not its TLS key).
  const signing = await createLeaf({ ca, dnsNames: [fqdn], extendedKeyUsage: [] });
  return {
    fqdn,
    ...caFiles,
    tls: { cert: await w.write(IPX_FILES.tls.cert, tls.chainPem), key: await w.write(IPX_FILES.tls.key, tls.keyPem, true) },
    signing: { cert: await w.write(IPX_FILES.signing.cert, signing.certPem), key: await w.write(IPX_FILES.signing.key, signing.keyPem, true) },
  };
}

/** File names of the OAM part of a set (`oam/`). */
export const OAM_FILES = {
  ca: 'oam/ca.crt',
  caKey: 'oam/ca.key',
  client: { cert: 'oam/client.crt', key: 'oam/client.key' },
} as const;
/** The name in the OAM client certificate. */
export const OAM_CLIENT_NAME = 'oam-client.sepp.local';

async function issueOam(w: SetWriter): Promise<OamCertificateFiles> {
  const ca = await createCa({ commonName: 'SEPP OAM CA' });
  const caFiles = { ca: await w.write(OAM_FILES.ca, ca.certPem), caKey: await w.write(OAM_FILES.caKey, ca.keyPem, true) };
  const client = await createLeaf({ ca, dnsNames: [OAM_CLIENT_NAME], extendedKeyUsage: ['clientAuth'] });
  return { ...caFiles, client: { cert: await w.write(OAM_FILES.client.cert, client.chainPem), key: await w.write(OAM_FILES.client.key, client.keyPem, true) } };
}

async function allPresent(outDir: string, files: string[]): Promise<boolean> {
  const checks = await Promise.all(files.map((f) => access(path.join(outDir, f)).then(() => true, () => false)));
  return checks.every(Boolean);
}

/** Removes files of a previous, different set (e.g. per-PLMN CAs after switching to shared). */
async function removeStale(outDir: string, previous: CertificateSetManifest | undefined, current: string[]): Promise<void> {
  const root = path.resolve(outDir);
  for (const name of previous?.files ?? []) {
    const file = path.resolve(root, name);
    // The manifest is data on disk: never let it steer a delete outside outDir.
    if (!current.includes(name) && file.startsWith(root + path.sep)) {
      await rm(file, { force: true });
    }
  }
}

async function issueCas(w: SetWriter, plmns: PlmnId[], caMode: CaMode): Promise<Map<string, IssuedCa>> {
  const byPlmn = new Map<string, IssuedCa>();
  if (caMode === 'shared') {
    const ca = await createCa({ commonName: 'SEPP Interconnect CA' });
    const entry = { ca, cert: await w.write(CA_BUNDLE_FILE, ca.certPem), key: await w.write('ca.key', ca.keyPem, true) };
    plmns.forEach((p) => byPlmn.set(plmnKey(p), entry));
    return byPlmn;
  }
  for (const plmn of plmns) {
    const ca = await createCa({ commonName: `SEPP CA ${plmnKey(plmn)}`, plmn });
    const base = `ca-${plmnKey(plmn)}`;
    byPlmn.set(plmnKey(plmn), { ca, cert: await w.write(`${base}.crt`, ca.certPem), key: await w.write(`${base}.key`, ca.keyPem, true) });
  }
  await w.write(CA_BUNDLE_FILE, [...byPlmn.values()].map((e) => e.ca.certPem).join(''));
  return byPlmn;
}

/**
 * Writes CAs, one SEPP certificate per PLMN and the negative-test certificates into `outDir`.
 * A matching, complete set is left untouched unless `force` is set, so callers can run this on
 * every start and only pay for key generation the first time.
 */
export async function writeCertificateSet(opts: CertificateSetOptions): Promise<CertificateSetManifest> {
  checkRequest(opts.plmns);
  checkIpx(opts.ipx);
  const ipxFqdn = opts.ipx?.fqdn.toLowerCase();
  const previous = await readManifest(opts.outDir);
  if (!opts.force && previous && sameRequest(previous, opts.plmns, opts.caMode) && (await allPresent(opts.outDir, previous.files))) {
    const needsIpx = ipxFqdn !== undefined && previous.ipx?.fqdn !== ipxFqdn;
    const needsOam = opts.oam === true && previous.oam === undefined;
    if (!needsIpx && !needsOam) return previous;
    return addParts(opts, previous, needsIpx ? ipxFqdn : undefined, needsOam);
  }

  // Drop the old manifest before touching anything, so an interrupted run can never leave a
  // manifest that vouches for a mix of old and new files.
  await rm(path.join(opts.outDir, MANIFEST_FILE), { force: true });
  const w = new SetWriter(opts.outDir, opts.onWrite);
  const cas = await issueCas(w, opts.plmns, opts.caMode);
  const caOf = (plmn: PlmnId): IssuedCa => {
    const issued = cas.get(plmnKey(plmn));
    if (!issued) throw new Error(`no CA issued for PLMN ${plmnKey(plmn)}`);
    return issued;
  };

  const plmns: PlmnCertificateFiles[] = [];
  for (const plmn of opts.plmns) {
    const issuer = caOf(plmn);
    const files = await w.leaf(`sepp-${plmnKey(plmn)}`, await mintSeppCertificate({ ca: issuer.ca, plmn }));
    plmns.push({ mcc: plmn.mcc, mnc: plmn.mnc, fqdn: seppFqdn(plmn), ...files, ca: issuer.cert, caKey: issuer.key });
  }

  const first = opts.plmns[0]!; // validated non-empty above
  const rightCa = caOf(first).ca;
  const rogueCa = await createCa({ commonName: 'Rogue SEPP CA' });
  const bad = {
    expired: await w.leaf('bad/expired', await mintExpired(rightCa, [seppFqdn(first)])),
    wrongCa: {
      ...(await w.leaf('bad/wrong-ca', await mintSeppCertificate({ ca: rogueCa, plmn: first }))),
      rogueCa: await w.write('bad/rogue-ca.crt', rogueCa.certPem),
    },
    wrongSan: { ...(await w.leaf('bad/wrong-san', await createLeaf({ ca: rightCa, dnsNames: [WRONG_SAN_FQDN] }))), fqdn: WRONG_SAN_FQDN },
  };

  const ipx = ipxFqdn !== undefined ? await issueIpx(w, ipxFqdn) : undefined;
  const oam = opts.oam === true ? await issueOam(w) : undefined;

  const manifest: CertificateSetManifest = {
    version: 1,
    generatedAt: new Date().toISOString(),
    caMode: opts.caMode,
    caBundle: CA_BUNDLE_FILE,
    plmns,
    bad,
    ...(ipx ? { ipx } : {}),
    ...(oam ? { oam } : {}),
    files: [...w.files],
  };
  await removeStale(opts.outDir, previous, manifest.files);
  // Written last, so only a complete set ever has a manifest.
  await w.write(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * A complete set that matches but lacks the IPX part (or has one for another FQDN) or the OAM
 * part: mints those alone, so the SEPP certificates (and whatever already trusts them) stay as
 * they are.
 */
async function addParts(opts: CertificateSetOptions, previous: CertificateSetManifest, ipxFqdn: string | undefined, oam: boolean): Promise<CertificateSetManifest> {
  await rm(path.join(opts.outDir, MANIFEST_FILE), { force: true });
  const w = new SetWriter(opts.outDir, opts.onWrite);
  const ipx = ipxFqdn !== undefined ? await issueIpx(w, ipxFqdn) : previous.ipx;
  const oamFiles = oam ? await issueOam(w) : previous.oam;
  const written = new Set<string>(w.files);
  const manifest: CertificateSetManifest = {
    ...previous,
    generatedAt: new Date().toISOString(),
    ...(ipx ? { ipx } : {}),
    ...(oamFiles ? { oam: oamFiles } : {}),
    files: [...previous.files.filter((file) => !written.has(file)), ...w.files],
  };
  await w.write(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
