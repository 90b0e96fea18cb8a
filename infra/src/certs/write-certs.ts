import { access, chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createCa, createLeaf, type MintedCa, type MintedLeaf, mintExpired, mintSeppCertificate } from './cert-factory';
import {
  type BadCertificateFile,
  CA_BUNDLE_FILE,
  type CaMode,
  type CertificateSetManifest,
  MANIFEST_FILE,
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
  const previous = await readManifest(opts.outDir);
  if (!opts.force && previous && sameRequest(previous, opts.plmns, opts.caMode) && (await allPresent(opts.outDir, previous.files))) {
    return previous;
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

  const manifest: CertificateSetManifest = {
    version: 1,
    generatedAt: new Date().toISOString(),
    caMode: opts.caMode,
    caBundle: CA_BUNDLE_FILE,
    plmns,
    bad,
    files: [...w.files],
  };
  await removeStale(opts.outDir, previous, manifest.files);
  // Written last, so only a complete set ever has a manifest.
  await w.write(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
