import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base64urlDecode, base64urlEncode, type N32fKeySet } from '@sepp/protocol';
import { FQDN_A, FQDN_B, PLMN_B, writeYaml, type PeerEntry } from './configs';
import { holdPort } from './ports';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, type TappedProducer } from './n32f';
import type { CertFiles, TestPki } from './pki';
import { SeppProcess } from './sepp-process';

/** One N32-f context as `GET /admin/contexts` shows it (packages/server/src/prins/n32f-contexts.service.ts). */
export interface ContextView {
  peer: string;
  role: 'initiator' | 'responder';
  localContextId: string;
  remoteContextId: string;
  enc: string;
  messagesSent: number;
  since: string;
  keyCheck: string;
}

/** `GET /admin/contexts` of a SEPP. */
export async function contextsOf(sepp: SeppProcess): Promise<ContextView[]> {
  const answer = await sepp.admin<{ contexts: ContextView[] }>('/admin/contexts');
  if (answer.status !== 200) throw new Error(`${sepp.name} /admin/contexts: HTTP ${answer.status}`);
  return answer.body.contexts;
}

/**
 * The admin view's key check computed from a key set: the first 8 bytes (hex) of SHA-256 over the
 * key and salt of the four directions, in the order the server hashes them.
 */
export function keyCheckOf(keys: N32fKeySet): string {
  const hash = createHash('sha256');
  for (const direction of [keys.parallelRequest, keys.parallelResponse, keys.reverseRequest, keys.reverseResponse]) hash.update(direction.key).update(direction.salt);
  return hash.digest('hex').slice(0, 16);
}

/**
 * A `--require` preload that caps every TLS connection of the process at TLS 1.2 (the initiator's:
 * its clients, and its own listeners, which this test does not dial). The N32 TLS profile
 * (packages/server/src/tls/tls-options.ts) sets `maxVersion: 'TLSv1.3'` itself and the
 * configuration only has `tls.minVersion`, so TLS 1.2 cannot be forced through the config: the
 * preload overrides the option on its way into `tls.connect` and `tls.createSecureContext` (the
 * N32 client context is built once, with the version in it). Use it as
 * `NODE_OPTIONS: --require <file>`.
 */
export function writeTls12ClientPreload(dir: string): string {
  const file = join(dir, 'tls12-client.js');
  writeFileSync(
    file,
    `'use strict';
const tls = require('node:tls');
const connect = tls.connect;
tls.connect = function connectTls12(...args) {
  const index = args.findIndex((arg) => arg !== null && typeof arg === 'object');
  if (index >= 0) args[index] = { ...args[index], maxVersion: 'TLSv1.2' };
  return connect.apply(this, args);
};
// The SEPP dials with a secure context built once (the version is a property of the context).
const createSecureContext = tls.createSecureContext;
tls.createSecureContext = function createTls12Context(options) {
  return createSecureContext.call(this, { ...options, maxVersion: 'TLSv1.2' });
};
`,
  );
  return file;
}

/** Flips one bit of the bytes a base64url string encodes; returns the base64url of the result. */
export function flipBit(b64url: string, byte: number, mask = 0x01): string {
  const bytes = base64urlDecode(b64url);
  const at = byte < 0 ? bytes.length + byte : byte;
  bytes[at] = bytes[at]! ^ mask;
  return base64urlEncode(bytes);
}

export interface PrinsSideOptions {
  /** The `prins:` section of the app's YAML. */
  prins?: Record<string, unknown>;
  /** The `state:` section (shared N32 state; file names relative to the PKI folder). */
  state?: Record<string, unknown>;
  /** Extra environment of the process (e.g. NODE_OPTIONS). */
  env?: NodeJS.ProcessEnv;
  /** `sepp.capabilities` (default [TLS, PRINS]). */
  capabilities?: string[];
  /** `tls.minVersion`. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** The `limits:` section. */
  limits?: Record<string, number>;
  /** Keys of the `n32f:` section, over the defaults of the test configuration. */
  n32f?: Record<string, number>;
  /** Keys of the `n32:` section, over the defaults of the test configuration (`keepaliveMs`). */
  n32?: Record<string, number>;
  /** Responder: keys of the `sbi:` section over the test configuration's (`hosts` merged, `keepaliveMs`). */
  sbi?: { hosts?: Record<string, string>; keepaliveMs?: number };
}

export interface PrinsPairOptions {
  /** File name prefix of the configuration files in the PKI folder. */
  name: string;
  responder?: PrinsSideOptions;
  initiator?: PrinsSideOptions;
  /** The responder's policy for the initiator (default `modifying`: PRINS is selected). */
  intermediaries?: PeerEntry['intermediaries'];
  /**
   * A hop of the test between the initiator and the responder's N32 port (e.g. a FreezingProxy),
   * started once the responder listens: returns the port the initiator dials instead.
   */
  via?: (responderN32Port: number) => Promise<number>;
  /** Wait for both sides in prins-established (default true). */
  waitEstablished?: boolean;
}

/**
 * The two built apps in PRINS mode in front of `producer`: the responder (PLMN 001/01) selects
 * PRINS for the initiator (peer entry `intermediaries: modifying`), and dials the initiator's own
 * N32 listener (`n32.listen`, a free loopback port picked up front) for its second N32-c
 * connection (n32f-error, n32f-terminate).
 */
export class PrinsPair {
  nf: NfClient | null = null;

  private constructor(
    readonly responder: SeppProcess,
    readonly initiator: SeppProcess,
    readonly initiatorN32Port: number,
  ) {}

  static async start(pki: TestPki, certA: CertFiles, certB: CertFiles, producer: TappedProducer, options: PrinsPairOptions): Promise<PrinsPair> {
    // Held while the responder starts (its listeners and connections take ports from the OS too),
    // released just before the initiator listens on it.
    const held = await holdPort();
    const initiatorN32Port = held.port;
    const responderYaml = n32fResponderYaml(certA, pki, producer.port, {
      responderN32: {
        capabilities: options.responder?.capabilities,
        peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: options.intermediaries ?? 'modifying', address: `127.0.0.1:${initiatorN32Port}` }],
      },
    });
    if (options.responder?.prins) responderYaml.prins = options.responder.prins;
    if (options.responder?.state) responderYaml['state'] = options.responder.state;
    if (options.responder?.minVersion) responderYaml.tls.minVersion = options.responder.minVersion;
    if (options.responder?.limits) responderYaml.limits = options.responder.limits;
    if (options.responder?.n32f) responderYaml['n32f'] = { ...(responderYaml['n32f'] as Record<string, unknown> | undefined), ...options.responder.n32f };
    if (options.responder?.sbi) {
      const sbi = (responderYaml.sbi ?? {}) as Record<string, unknown> & { hosts?: Record<string, string> };
      responderYaml.sbi = { ...sbi, ...options.responder.sbi, hosts: { ...sbi.hosts, ...options.responder.sbi.hosts } };
    }
    let responder: SeppProcess;
    try {
      responder = await SeppProcess.ready('responder', writeYaml(pki.dir, `${options.name}-responder`, responderYaml), options.responder?.env);
    } finally {
      await new Promise((closed) => held.server.close(closed));
    }

    let initiator: SeppProcess;
    try {
      const dialled = options.via ? await options.via(responder.port('n32')) : responder.port('n32');
      const initiatorYaml = n32fInitiatorYaml(certB, pki, dialled, {
        initiatorN32: { capabilities: options.initiator?.capabilities, listen: { host: '127.0.0.1', port: initiatorN32Port } },
      });
      if (options.initiator?.prins) initiatorYaml.prins = options.initiator.prins;
      if (options.initiator?.state) initiatorYaml['state'] = options.initiator.state;
      if (options.initiator?.minVersion) initiatorYaml.tls.minVersion = options.initiator.minVersion;
      if (options.initiator?.limits) initiatorYaml.limits = options.initiator.limits;
      if (options.initiator?.n32f) initiatorYaml['n32f'] = { ...(initiatorYaml['n32f'] as Record<string, unknown> | undefined), ...options.initiator.n32f };
      if (options.initiator?.n32) initiatorYaml.n32 = { ...initiatorYaml.n32, ...options.initiator.n32 };
      initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, `${options.name}-initiator`, initiatorYaml), options.initiator?.env);
    } catch (error) {
      await responder.stop();
      throw error;
    }
    const pair = new PrinsPair(responder, initiator, initiatorN32Port);
    try {
      if (options.waitEstablished ?? true) await pair.waitEstablished();
      pair.nf = await NfClient.connect(initiator.port('sbi'));
    } catch (error) {
      await pair.stop();
      throw error;
    }
    return pair;
  }

  /** Both sides in prins-established. */
  async waitEstablished(timeoutMs = 20_000): Promise<void> {
    await this.initiator.waitForPeerState(FQDN_A, 'prins-established', timeoutMs);
    await this.responder.waitForPeerState(FQDN_B, 'prins-established', timeoutMs);
  }

  async stop(): Promise<void> {
    this.nf?.close();
    await this.initiator.stop();
    await this.responder.stop();
  }

  /** The log and stderr of both apps (for a failing test's output). */
  dump(): string {
    return `--- initiator\n${this.initiator.dump()}\n--- responder\n${this.responder.dump()}`;
  }
}

/** One sample of a Prometheus text exposition: metric name, labels, value. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** `GET /metrics` of a SEPP, parsed (histogram buckets included as `<name>_bucket` samples). */
export async function metricsOf(sepp: SeppProcess): Promise<MetricSample[]> {
  const response = await fetch(`http://127.0.0.1:${sepp.port('admin')}/metrics`);
  if (response.status !== 200) throw new Error(`${sepp.name} /metrics: HTTP ${response.status}`);
  const samples: MetricSample[] = [];
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples of `name` whose labels include `labels`, by the values of `by` (e.g. status -> count). */
export function metricBy(samples: readonly MetricSample[], name: string, labels: Record<string, string>, by: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.name !== name || !Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) continue;
    const key = sample.labels[by] ?? '';
    out[key] = (out[key] ?? 0) + sample.value;
  }
  return out;
}
