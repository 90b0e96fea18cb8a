import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { FQDN_A, FQDN_B, PLMN_A, PLMN_B, writeYaml, type SeppYaml } from './configs';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, type NfAnswer, type NfRequest, type SeenRequest, type TappedProducer } from './n32f';
import type { CertFiles, TestPki } from './pki';
import { freePort } from './ports';
import { metricsOf, metricBy } from './prins';
import { SeppProcess, type LogLine } from './sepp-process';
import { waitFor } from './wait-for';

export type Mechanism = 'TLS' | 'PRINS';

export interface BorderPairOptions {
  name: string;
  mechanism: Mechanism;
  /** The responder's (pSEPP) and initiator's (cSEPP) `border` sections. */
  responderBorder?: Record<string, unknown>;
  initiatorBorder?: Record<string, unknown>;
  /** Producers the responder forwards to (`sbi.allowedTargets`, `sbi.hosts`). */
  producers: { apiRoot: string; fqdn: string }[];
  /** Another build of the responder (`node <responderMain> --config FILE`), with this environment. */
  responderMain?: string;
  responderEnv?: NodeJS.ProcessEnv;
  /** More changes to either file before start. */
  responderYaml?: (yaml: SeppYaml) => void;
  initiatorYaml?: (yaml: SeppYaml) => void;
}

/**
 * The two built apps with border protection: responder (pSEPP, PLMN 001/01) and initiator (cSEPP,
 * PLMN 002/02), N32-f in TLS mode (policy `none`) or PRINS (policy `modifying`, the initiator's
 * own N32 listener for n32f-error). Either side's `border` can be changed and reloaded.
 */
export class BorderPair {
  nf!: NfClient;

  private constructor(
    readonly responder: SeppProcess,
    readonly initiator: SeppProcess,
    private readonly files: { responder: string; initiator: string },
    readonly yaml: { responder: SeppYaml; initiator: SeppYaml },
  ) {}

  static async start(pki: TestPki, certA: CertFiles, certB: CertFiles, options: BorderPairOptions): Promise<BorderPair> {
    const prins = options.mechanism === 'PRINS';
    const initiatorN32Port = prins ? await freePort() : 0;
    const responderYaml = n32fResponderYaml(certA, pki, 0, {
      allowedTargets: options.producers.map((p) => p.apiRoot),
      hosts: Object.fromEntries(options.producers.map((p) => [p.fqdn, '127.0.0.1'])),
      responderN32: { peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: prins ? 'modifying' : 'none', ...(prins ? { address: `127.0.0.1:${initiatorN32Port}` } : {}) }] },
    });
    if (options.responderBorder) responderYaml.border = options.responderBorder;
    options.responderYaml?.(responderYaml);
    const responderFile = writeYaml(pki.dir, `${options.name}-responder`, responderYaml);
    const responder = options.responderMain
      ? new SeppProcess('responder', [options.responderMain, '--config', responderFile], { env: options.responderEnv ?? {} })
      : SeppProcess.start('responder', responderFile);
    await responder.ready();
    let initiator: SeppProcess | undefined;
    try {
      const initiatorYaml = n32fInitiatorYaml(certB, pki, responder.port('n32'), {
        initiatorN32: { ...(prins ? { listen: { host: '127.0.0.1', port: initiatorN32Port }, intermediaries: 'modifying' as const } : {}) },
      });
      if (prins) initiatorYaml.n32.peers = [{ fqdn: FQDN_A, plmns: [PLMN_A], address: `127.0.0.1:${responder.port('n32')}`, intermediaries: 'modifying' }];
      if (options.initiatorBorder) initiatorYaml.border = options.initiatorBorder;
      options.initiatorYaml?.(initiatorYaml);
      const initiatorFile = writeYaml(pki.dir, `${options.name}-initiator`, initiatorYaml);
      initiator = await SeppProcess.ready('initiator', initiatorFile);
      const state = prins ? 'prins-established' : 'tls-established';
      await initiator.waitForPeerState(FQDN_A, state);
      await responder.waitForPeerState(FQDN_B, state);
      const pair = new BorderPair(responder, initiator, { responder: responderFile, initiator: initiatorFile }, { responder: responderYaml, initiator: initiatorYaml });
      pair.nf = await NfClient.connect(initiator.port('sbi'));
      return pair;
    } catch (error) {
      await initiator?.stop();
      await responder.stop();
      throw error;
    }
  }

  /** Rewrites one side's `border` and reloads it (POST /admin/reload); resolves with the changed areas. */
  async reloadBorder(side: 'responder' | 'initiator', border: Record<string, unknown> | undefined): Promise<string[]> {
    const yaml = this.yaml[side];
    if (border) yaml.border = border;
    else delete yaml.border;
    writeFileSync(this.files[side], stringify(yaml));
    const answer = await this[side].admin<{ changed?: string[] }>('/admin/reload', { method: 'POST' });
    if (answer.status !== 200) throw new Error(`${side} reload: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.changed ?? [];
  }

  async stop(): Promise<void> {
    this.nf?.close();
    await this.initiator.stop();
    await this.responder.stop();
  }

  dump(): string {
    return `--- initiator\n${this.initiator.dump()}\n--- responder\n${this.responder.dump()}`;
  }
}

/** The `border refusal` (or dry-run) lines a SEPP logged from line `from` on. */
export function borderLines(sepp: SeppProcess, from: number, msg = 'border refusal'): LogLine[] {
  return sepp.lines.slice(from).filter((line) => line.msg === msg);
}

/**
 * The same lines once at least one has come: an answer can reach the test before the SEPP's log
 * line about it has been read from its stdout (a loaded machine), so a snapshot right then can miss it.
 */
export async function waitBorderLines(sepp: SeppProcess, from: number, msg = 'border refusal'): Promise<LogLine[]> {
  await sepp.waitForLines(msg, (line) => line.msg === msg, 1, 15_000, from);
  return borderLines(sepp, from, msg);
}

/** `sepp_border_checks_total` of one SEPP by outcome, for a category (and direction). */
export async function borderCounts(sepp: SeppProcess, category: string, direction?: string): Promise<Record<string, number>> {
  return metricBy(await metricsOf(sepp), 'sepp_border_checks_total', { category, ...(direction ? { direction } : {}) }, 'outcome');
}

/** Sends `request` through the pair and the same request straight to the producer: both answers. */
export async function throughAndDirect(pair: BorderPair, producer: TappedProducer, request: NfRequest): Promise<{ through: NfAnswer; direct: NfAnswer; seen: SeenRequest }> {
  const before = producer.seen.length;
  const through = await pair.nf.request(request);
  const seen = await waitFor('the producer saw the request', () => producer.seen.slice(before).find((s) => s.ended));
  const direct = await directRequest(producer, { ...request, headers: withoutTarget(request.headers ?? {}) });
  return { through, direct, seen };
}

async function directRequest(producer: TappedProducer, request: NfRequest): Promise<NfAnswer> {
  const client = await NfClient.connect(producer.port);
  try {
    return await client.request(request);
  } finally {
    client.close();
  }
}

function withoutTarget(headers: NonNullable<NfRequest['headers']>): NonNullable<NfRequest['headers']> {
  const { '3gpp-sbi-target-apiroot': _target, ...rest } = headers as Record<string, unknown>;
  return rest as NonNullable<NfRequest['headers']>;
}
