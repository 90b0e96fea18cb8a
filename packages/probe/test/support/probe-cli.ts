import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createLeaf, seppFqdn, type MintedCa, type PlmnId } from '@sepp/protocol/pki';
import type { CaseResult, ProbeReport } from '../../src';

/** The built CLI, as operators run it. */
export const PROBE_CLI = join(__dirname, '../../dist/cli.js');

export interface ProbeRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: ProbeReport | null;
  /** The results by case ID. */
  readonly cases: ReadonlyMap<string, CaseResult>;
}

/** A running probe process: `listening` resolves with its port (initiator role), `done` with the run. */
export interface ProbeProcess {
  readonly listening: Promise<number>;
  readonly done: Promise<ProbeRun>;
  kill(): void;
}

/** Starts `node dist/cli.js ARGS --json FILE`; everything is read when it exits. */
export function startProbe(args: readonly string[], dir: string): ProbeProcess {
  const json = join(dir, `report-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
  const child = spawn(process.execPath, [PROBE_CLI, ...args, '--json', json], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let announce: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolve) => (announce = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const match = / on [\d.]+:(\d+); waiting for the initiator/.exec(stdout);
    if (match) announce(Number(match[1]));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<ProbeRun>((resolve) =>
    child.once('close', (code) => {
      let report: ProbeReport | null = null;
      try {
        report = JSON.parse(readFileSync(json, 'utf8')) as ProbeReport;
      } catch {
        report = null;
      }
      resolve({ code, stdout, stderr, report, cases: new Map((report?.cases ?? []).map((c) => [c.id, c])) });
    }),
  );
  return { listening, done, kill: () => child.kill('SIGKILL') };
}

export function runProbe(args: readonly string[], dir: string): Promise<ProbeRun> {
  return startProbe(args, dir).done;
}

export const PLMN_A: PlmnId = { mcc: '001', mnc: '01' };
export const PLMN_B: PlmnId = { mcc: '002', mnc: '02' };
export const FQDN_A = seppFqdn(PLMN_A);
export const FQDN_B = seppFqdn(PLMN_B);

export interface Material {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** One CA and the SEPP certificates of PLMN A and B, in a temporary folder. */
export class TestPki {
  private constructor(
    readonly dir: string,
    readonly ca: MintedCa,
    readonly caFile: string,
    readonly caKeyFile: string,
  ) {}

  static async create(): Promise<TestPki> {
    const dir = mkdtempSync(join(tmpdir(), 'sepp-probe-'));
    const ca = await createCa({ commonName: 'Probe test CA' });
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    writeFileSync(join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
    return new TestPki(dir, ca, join(dir, 'ca.crt'), join(dir, 'ca.key'));
  }

  async sepp(plmn: PlmnId): Promise<Material> {
    const name = `sepp-${plmn.mcc}-${plmn.mnc}`;
    const leaf = await createLeaf({ ca: this.ca, dnsNames: [seppFqdn(plmn)] });
    const certFile = join(this.dir, `${name}.crt`);
    const keyFile = join(this.dir, `${name}.key`);
    writeFileSync(certFile, leaf.chainPem);
    writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
    return { certPem: leaf.chainPem, keyPem: leaf.keyPem, certFile, keyFile };
  }
}

/** The verdicts of `ids` in a run (for one readable assertion). */
export function verdicts(run: ProbeRun, ids: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(ids.map((id) => [id, run.cases.get(id)?.verdict]));
}
