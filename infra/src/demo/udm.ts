import { readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { DemoSeppConfig } from './environment';

/** The producer NF of the demo: udm1 of PLMN 001/01, behind the responder. */
export const UDM1 = { name: 'udm1', fqdn: 'udm1.5gc.mnc001.mcc001.3gppnetwork.org' } as const;
/** Moves udm1 to another port (0 = any free port); the responder then runs on a copy of its file. */
export const UDM1_PORT_VARIABLE = 'SEPP_DEMO_UDM1_PORT';

/** Where the demo runs udm1, read from the responder's `sbi` section. */
export interface NfPlan {
  name: string;
  fqdn: string;
  /** The `sbi.allowedTargets` entry of the file that names the NF, as written. */
  fileTarget: string;
  scheme: 'http:' | 'https:';
  /** Where the NF listens: the responder's `sbi.hosts` entry for its FQDN (default 127.0.0.1). */
  host: string;
  /** The port of the file's entry, or the override (0 = any free port). */
  port: number;
  /** The port the file names. */
  filePort: number;
}

/**
 * Finds the NF in the responder's configuration: an `sbi.allowedTargets` apiRoot on its FQDN gives
 * the scheme and port, `sbi.hosts` the address. Throws a message for people when it is not there.
 */
export function planNf(config: DemoSeppConfig, env: NodeJS.ProcessEnv, file: string, nf: { name: string; fqdn: string } = UDM1): NfPlan {
  const fileTarget = (config.sbi?.allowedTargets ?? []).find((root) => {
    try {
      return new URL(root).hostname === nf.fqdn;
    } catch {
      return false;
    }
  });
  if (!fileTarget) throw new Error(`${file} has no sbi.allowedTargets entry on ${nf.fqdn} (the demo's ${nf.name})`);
  const url = new URL(fileTarget);
  if (url.protocol !== 'http:') throw new Error(`${file}: the demo's ${nf.name} speaks h2c, so its sbi.allowedTargets entry must be http://, got ${fileTarget}`);
  const filePort = Number(url.port || 80);
  const override = env[UDM1_PORT_VARIABLE];
  if (override !== undefined && override !== '' && (!/^\d{1,5}$/.test(override) || Number(override) > 65_535)) {
    throw new Error(`${UDM1_PORT_VARIABLE} must be a port 0..65535 (0 = any free port), got "${override}"`);
  }
  return {
    name: nf.name,
    fqdn: nf.fqdn,
    fileTarget,
    scheme: url.protocol,
    host: config.sbi?.hosts?.[nf.fqdn] ?? '127.0.0.1',
    port: override ? Number(override) : filePort,
    filePort,
  };
}

/** The NF's apiRoot when it listens on `port`: `http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081`. */
export function nfApiRoot(plan: NfPlan, port: number): string {
  return `${plan.scheme}//${plan.fqdn}:${port}`;
}

/** What a copy's first line says (after `# `). */
export const COPY_MARK = 'Written by pnpm demo';

/** Configuration keys that hold file paths (relative to the file). */
const PATH_KEYS: string[][] = [
  ['tls', 'cert'],
  ['tls', 'key'],
  ['tls', 'ca'],
  ['sbi', 'tls', 'cert'],
  ['sbi', 'tls', 'key'],
  ['sbi', 'tls', 'ca'],
  ['n32f', 'tls', 'cert'],
  ['n32f', 'tls', 'key'],
];

/** Makes the relative paths at `keys` (a scalar or a list of them) absolute against `dir`. */
export function absolutePaths(doc: Document, dir: string, keys: ReadonlyArray<ReadonlyArray<string | number>> = PATH_KEYS): void {
  for (const key of keys) {
    const node = doc.getIn(key, true);
    const items = isSeq(node) ? node.items : [node];
    for (const item of items) {
      if (isScalar(item) && typeof item.value === 'string' && item.value !== '' && !path.isAbsolute(item.value)) {
        item.value = path.resolve(dir, item.value);
      }
    }
  }
}

/**
 * Writes a copy of the responder's file whose allowedTargets entry for the NF names `port`; its
 * relative paths become absolute, so the copy works from any folder. Everything else is as written.
 */
export async function writeConfigCopy(source: string, out: string, plan: NfPlan, port: number): Promise<void> {
  const doc = parseDocument(await readFile(source, 'utf8'));
  const targets = doc.getIn(['sbi', 'allowedTargets'], true);
  if (!isSeq(targets)) throw new Error(`${source}: sbi.allowedTargets is not a list`);
  for (const item of targets.items) {
    if (isScalar(item) && item.value === plan.fileTarget) item.value = nfApiRoot(plan, port);
  }
  absolutePaths(doc, path.dirname(source));
  doc.commentBefore = ` ${COPY_MARK} from ${source}:\n ${plan.name} listens on port ${port}, so its sbi.allowedTargets entry names that port;\n the paths of the original are absolute here.${doc.commentBefore ? `\n${doc.commentBefore}` : ''}`;
  await writeFile(out, doc.toString());
}

/** Removes a copy {@link writeConfigCopy} wrote (and nothing else of that name). */
export async function removeConfigCopy(file: string): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => '');
  if (text.startsWith(`# ${COPY_MARK}`)) await rm(file, { force: true });
}

/** `name: value` pairs of `env` without the SEPP_* variables (the NF needs none of them). */
export function nfEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('SEPP_')));
}
