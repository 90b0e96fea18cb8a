import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AppProcess } from './app-process';
import { seppFqdn, type PlmnId } from '@sepp/infra';
import { FQDN_A, FQDN_B, PLMN_A, PLMN_B, writeYaml, type PeerEntry, type SeppYaml } from './configs';
import { expectProblemAnswer, n32fInitiatorYaml, n32fResponderYaml, NfClient, TARGET_HEADER, type NfAnswer, type NfRequest, type TappedProducer } from './n32f';
import { REPO_ROOT } from './paths';
import type { CertFiles, TestPki } from './pki';
import { freePort } from './ports';
import { SeppProcess } from './sepp-process';
import type { RelayedExchange, TamperingRelay } from './tampering-relay';

export const IPX_MAIN = resolve(REPO_ROOT, 'apps/ipx/dist/main.js');
export const IPX_FQDN = 'ipx.roaming.example.org';

/** One rule of the IPX app (apps/ipx/README.md). */
export interface IpxRule {
  name?: string;
  apiPath?: string;
  apiPathPattern?: string;
  method?: string;
  direction: 'request' | 'response';
  operations: Record<string, unknown>[];
  unchecked?: boolean;
}

/** The IPX relay app (apps/ipx/dist/main.js) as its own process. */
export class IpxProcess extends AppProcess {
  static async ready(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<IpxProcess> {
    const ipx = new IpxProcess('ipx', [IPX_MAIN, '--config', configFile], { env });
    await ipx.ready();
    return ipx;
  }
}

/** The IPX's certificates: TLS on both hops, and the ES256 signing key (a separate key pair). */
export interface IpxCerts {
  readonly tls: CertFiles;
  readonly signing: CertFiles;
}

export async function createIpxCerts(pki: TestPki, fqdn = IPX_FQDN, name = 'ipx'): Promise<IpxCerts> {
  return { tls: await pki.leaf(`${name}-tls`, [fqdn]), signing: await pki.leaf(`${name}-signing`, [fqdn]) };
}

/** The leaf certificate alone (the chain file starts with it). */
export function leafOnly(pki: TestPki, cert: CertFiles, name: string): string {
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(cert.certPem)![0];
  const file = join(pki.dir, name);
  writeFileSync(file, leaf);
  return file;
}

export interface IpxPathOptions {
  /** File name prefix of the configuration files. */
  name: string;
  /** The IPX's rules. */
  rules?: IpxRule[];
  /** Certificates of the IPX (default: minted for IPX_FQDN). */
  ipxCerts?: IpxCerts;
  /** What the initiator believes the IPX's signing key is (default: the IPX's signing certificate). */
  initiatorKnowsKey?: string;
  /** Extra `prins:` of both SEPPs. */
  prins?: Record<string, unknown>;
  /** The responder's `state:` (a cluster's shared state store). */
  state?: Record<string, unknown>;
  /** Environment of all three processes (e.g. NODE_OPTIONS). */
  env?: NodeJS.ProcessEnv;
  /**
   * A hop of the test between the IPX app and the responder (e.g. a TamperingRelay), started once
   * the responder listens: returns the port the IPX app forwards to. Its server certificate must
   * name the responder (FQDN_A): the IPX app checks that.
   */
  between?: (responder: SeppProcess, responderYaml: SeppYaml) => Promise<{ port: number }>;
  /**
   * The responder's own RI toward the initiator (`n32.peers[].ipx` without address: keys only).
   * The responder sends its key in exchange-params, authorizes it for what it sends, and expects
   * its JWS second on what it receives (after the IPX's).
   */
  responderIpx?: { fqdn: string; signingKeys: string[] };
  /** More top-level keys of the IPX's file (`maxConcurrentPerSender`, `limits`; `forward` keys go over the path's). */
  ipx?: Record<string, unknown>;
  /** `n32.acceptUnknownPeers` of the responder. */
  acceptUnknownPeers?: boolean;
  /** More peers of the responder (e.g. other initiators, see startIpxInitiator). */
  extraResponderPeers?: PeerEntry[];
}

/**
 * initiator (PLMN 002/02) -> IPX relay -> responder (PLMN 001/01) -> producer, all built apps as
 * separate processes on loopback with minted certificates. The initiator's peer entry has
 * `intermediaries: modifying` and `ipx: {fqdn, address, signingKeys}`: it sends the IPX's key in
 * exchange-params (step 3) and its N32-f messages to the IPX, which forwards them to the
 * responder's N32 listener and relays the answers.
 */
export class IpxPath {
  nf: NfClient | null = null;
  /** The responder's configuration (change it with reloadResponder). */
  readonly responderYaml: SeppYaml;

  private constructor(
    readonly responder: SeppProcess,
    public ipx: IpxProcess,
    public initiator: SeppProcess,
    public certs: IpxCerts,
    private readonly setup: {
      pki: TestPki;
      certB: CertFiles;
      options: IpxPathOptions;
      responderFile: string;
      responderYaml: SeppYaml;
      forwardPort: number;
      initiatorN32Port: number;
    },
  ) {
    this.responderYaml = setup.responderYaml;
  }

  static async start(pki: TestPki, certA: CertFiles, certB: CertFiles, producer: TappedProducer, options: IpxPathOptions): Promise<IpxPath> {
    const certs = options.ipxCerts ?? (await createIpxCerts(pki));
    const initiatorN32Port = await freePort();
    const responderYaml = n32fResponderYaml(certA, pki, producer.port, {
      responderN32: {
        peers: [
          {
            fqdn: FQDN_B,
            plmns: [PLMN_B],
            intermediaries: 'modifying',
            address: `127.0.0.1:${initiatorN32Port}`,
            ...(options.responderIpx ? { ipx: { fqdn: options.responderIpx.fqdn, signingKeys: options.responderIpx.signingKeys } } : {}),
          },
          ...(options.extraResponderPeers ?? []),
        ],
        ...(options.acceptUnknownPeers !== undefined ? { acceptUnknownPeers: options.acceptUnknownPeers } : {}),
      },
    });
    if (options.prins) responderYaml.prins = options.prins;
    if (options.state) responderYaml['state'] = options.state;
    const started: AppProcess[] = [];
    try {
      const responderFile = writeYaml(pki.dir, `${options.name}-responder`, responderYaml);
      const responder = await SeppProcess.ready('responder', responderFile, options.env);
      started.push(responder);
      const forwardPort = options.between ? (await options.between(responder, responderYaml)).port : responder.port('n32');
      const ipx = await startIpxApp(pki, options.name, certs, forwardPort, options.rules ?? [], options.env, options.ipx);
      started.push(ipx);
      const knows = options.initiatorKnowsKey ?? leafOnly(pki, certs.signing, `${options.name}-ipx-signing-leaf.crt`);
      const initiator = await startInitiatorB(pki, certB, options, responder.port('n32'), initiatorN32Port, ipx.port('n32f'), knows);
      started.push(initiator);
      const path = new IpxPath(responder, ipx, initiator, certs, { pki, certB, options, responderFile, responderYaml, forwardPort, initiatorN32Port });
      await path.waitEstablished();
      path.nf = await NfClient.connect(initiator.port('sbi'));
      return path;
    } catch (error) {
      for (const app of started.reverse()) await app.stop();
      throw error;
    }
  }

  /** Both sides in prins-established with each other. */
  async waitEstablished(timeoutMs = 10_000): Promise<void> {
    await this.initiator.waitForPeerState(FQDN_A, 'prins-established', timeoutMs);
    await this.responder.waitForPeerState(FQDN_B, 'prins-established', timeoutMs);
  }

  /** Rewrites the responder's configuration file with `change` and reloads it (POST /admin/reload). */
  async reloadResponder(change: (yaml: SeppYaml) => void): Promise<string[]> {
    change(this.responderYaml);
    writeFileSync(this.setup.responderFile, stringify(this.responderYaml));
    const answer = await this.responder.admin<{ changed?: string[] }>('/admin/reload', { method: 'POST' });
    if (answer.status !== 200) throw new Error(`responder reload: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.changed ?? [];
  }

  /**
   * The IPX rotates its signing key: the initiator stops (its context goes), the IPX app restarts
   * with `signing`, the initiator starts again knowing only the new key and sets up a new context
   * (new exchange-params: the responder learns the new key for the new context only).
   */
  async rotateIpxSigningKey(signing: CertFiles, name: string): Promise<void> {
    this.nf?.close();
    this.nf = null;
    await this.initiator.stop();
    await this.ipx.stop();
    this.certs = { tls: this.certs.tls, signing };
    const { pki, certB, options, forwardPort, initiatorN32Port } = this.setup;
    this.ipx = await startIpxApp(pki, `${options.name}-${name}`, this.certs, forwardPort, options.rules ?? [], options.env, options.ipx);
    const knows = leafOnly(pki, signing, `${options.name}-${name}-ipx-signing-leaf.crt`);
    this.initiator = await startInitiatorB(pki, certB, { ...options, name: `${options.name}-${name}` }, this.responder.port('n32'), initiatorN32Port, this.ipx.port('n32f'), knows);
    await this.waitEstablished();
    this.nf = await NfClient.connect(this.initiator.port('sbi'));
  }

  async stop(): Promise<void> {
    this.nf?.close();
    await this.initiator.stop();
    await this.ipx.stop();
    await this.responder.stop();
  }

  dump(): string {
    return `--- initiator\n${this.initiator.dump()}\n--- ipx\n${this.ipx.dump()}\n--- responder\n${this.responder.dump()}`;
  }
}

/** The IPX app (signing as IPX_FQDN with `certs.signing`) forwarding to 127.0.0.1:`forwardPort`, whose certificate must name FQDN_A. */
async function startIpxApp(pki: TestPki, name: string, certs: IpxCerts, forwardPort: number, rules: IpxRule[], env?: NodeJS.ProcessEnv, extra: Record<string, unknown> = {}): Promise<IpxProcess> {
  const ipxConfig = {
    ipx: { fqdn: IPX_FQDN, signingKey: certs.signing.key },
    tls: { cert: certs.tls.cert, key: certs.tls.key, ca: [pki.caFile] },
    listen: { host: '127.0.0.1', port: 0 },
    rules,
    admin: { listen: { host: '127.0.0.1', port: 0 } },
    logging: { level: 'info' },
    ...extra,
    forward: { address: `127.0.0.1:${forwardPort}`, fqdn: FQDN_A, timeoutMs: 5_000, ...(extra['forward'] as Record<string, unknown> | undefined) },
  };
  const ipxFile = join(pki.dir, `${name}-ipx.yaml`);
  writeFileSync(ipxFile, stringify(ipxConfig));
  return IpxProcess.ready(ipxFile, env);
}

/** The initiator of PLMN 002/02 sending N32-f through the IPX at `ipxPort`, which it verifies with `knowsKey`. */
function startInitiatorB(pki: TestPki, certB: CertFiles, options: IpxPathOptions, responderPort: number, n32Port: number, ipxPort: number, knowsKey: string): Promise<SeppProcess> {
  const initiatorYaml = n32fInitiatorYaml(certB, pki, responderPort, {
    initiatorN32: { listen: { host: '127.0.0.1', port: n32Port } },
  });
  initiatorYaml.n32.peers = [
    {
      fqdn: FQDN_A,
      plmns: [PLMN_A],
      address: `127.0.0.1:${responderPort}`,
      intermediaries: 'modifying',
      ipx: { fqdn: IPX_FQDN, address: `127.0.0.1:${ipxPort}`, signingKeys: [knowsKey] },
    } as never,
  ];
  if (options.prins) initiatorYaml.prins = options.prins;
  return SeppProcess.ready('initiator', writeYaml(pki.dir, `${options.name}-initiator`, initiatorYaml), options.env);
}

export interface IpxInitiatorOptions {
  /** File name prefix of its configuration. */
  name: string;
  plmn: PlmnId;
  /** Its SEPP certificate (SAN = the PLMN's SEPP FQDN). */
  cert: CertFiles;
  /** The responder's N32 listener. */
  responderPort: number;
  /** Its own N32 listener (the responder's peer entry `address`: n32f-error reports arrive there). */
  n32Port?: number;
  /** Its IPX toward the responder: identity, relay address (optional: without it N32-f goes direct), signing keys (PEM files). */
  ipx: { fqdn: string; address?: string; signingKeys: string[] };
}

/**
 * Another initiating SEPP (any PLMN) toward the responder of PLMN 001/01, in PRINS mode with its
 * own IPX (`n32.peers[].ipx`): its N32-f context at the responder carries that IPX's keys. The
 * responder needs a peer entry for it with `intermediaries: modifying` (see ipxInitiatorPeer).
 */
export function startIpxInitiator(pki: TestPki, options: IpxInitiatorOptions): Promise<SeppProcess> {
  const yaml = n32fInitiatorYaml(options.cert, pki, options.responderPort, {
    initiatorN32: options.n32Port !== undefined ? { listen: { host: '127.0.0.1', port: options.n32Port } } : {},
  });
  yaml.sepp = { ...yaml.sepp, fqdn: seppFqdn(options.plmn), plmns: [options.plmn] };
  yaml.n32.peers = [
    {
      fqdn: FQDN_A,
      plmns: [PLMN_A],
      address: `127.0.0.1:${options.responderPort}`,
      intermediaries: 'modifying',
      ipx: options.ipx,
    } as never,
  ];
  return SeppProcess.ready('initiator', writeYaml(pki.dir, `${options.name}-initiator`, yaml));
}

/** The responder's peer entry for an initiator started with startIpxInitiator. */
export function ipxInitiatorPeer(plmn: PlmnId, n32Port?: number): PeerEntry {
  return { fqdn: seppFqdn(plmn), plmns: [plmn], intermediaries: 'modifying', ...(n32Port !== undefined ? { address: `127.0.0.1:${n32Port}` } : {}) };
}

// ---------------------------------------------------------------------------------------------
// What a test expects of one NF request on an IPX path with a TamperingRelay before the responder
// ---------------------------------------------------------------------------------------------

export const SUPI = 'imsi-001010000000001';
/** A request the producer answers 200 (its SUPI path is encrypted by the default policy). */
export const amDataRequest = (producer: TappedProducer): NfRequest => ({
  method: 'GET',
  path: `/nudm-sdm/v2/${SUPI}/am-data`,
  headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' },
});

/** What the relay before the responder saw of the request: the exchange, once complete. */
async function exchangeAfter(relay: TamperingRelay, before: number): Promise<RelayedExchange> {
  const exchange = relay.exchanges[before];
  if (!exchange) throw new Error(`the relay saw no new exchange (still ${relay.exchanges.length})`);
  await exchange.done;
  return exchange;
}

/** A clean request goes through: 2xx to the NF, exactly one stream at the producer, 200 from the responder at the relay. */
export async function expectDelivered(path: IpxPath, relay: TamperingRelay, producer: TappedProducer, request: NfRequest = amDataRequest(producer)): Promise<{ answer: NfAnswer; exchange: RelayedExchange }> {
  const seen = producer.seen.length;
  const exchanges = relay.exchanges.length;
  const answer = await path.nf!.request(request);
  const exchange = await exchangeAfter(relay, exchanges);
  if (answer.status < 200 || answer.status > 299 || exchange.status !== 200) {
    throw new Error(`expected delivery, got NF ${answer.status} ${answer.text.slice(0, 300)}; responder ${exchange.status} ${JSON.stringify(exchange.answer).slice(0, 300)}`);
  }
  expect(producer.seen.length).toBe(seen + 1);
  return { answer, exchange };
}

export interface RefusalExpectation {
  /** The N32fErrorType: the 403 `cause`, the n32f-error `n32fErrorType`. */
  type: string;
  /** `failedModificationList` of the report: these RIs, each with `type`. */
  ipxIds?: string[];
  /** `errorDetailsList` of the report. */
  errorDetails?: { attribute: string; msgReconstructFailReason: string }[];
}

/**
 * One NF request that the responder must refuse: 403 ProblemDetailsMsgForwarding with `cause` =
 * the type (seen at the relay, which sits right before the responder), the NF gets the suggested
 * status (400 for reconstruction failures, else 500) as problem+json naming the type, the
 * responder logs "PRINS message refused", the initiator logs the n32f-error report for exactly
 * this messageId (type, failedModifications, errorDetails), and the producer sees nothing.
 */
export async function expectRefused(
  path: IpxPath,
  relay: TamperingRelay,
  producer: TappedProducer,
  expected: RefusalExpectation,
  request: NfRequest = amDataRequest(producer),
): Promise<{ answer: NfAnswer; exchange: RelayedExchange; report: Record<string, unknown> }> {
  const seen = producer.seen.length;
  const exchanges = relay.exchanges.length;
  const initiatorFrom = path.initiator.lines.length;
  const responderFrom = path.responder.lines.length;
  const answer = await path.nf!.request(request);
  const exchange = await exchangeAfter(relay, exchanges);
  const messageId = exchange.aad!.metaData.messageId;

  const refusal = exchange.answer as { status?: number; cause?: string; detail?: string; suggestedStatusCode?: number };
  expect({ status: exchange.status, cause: refusal?.cause, detail: refusal?.detail }).toEqual({ status: 403, cause: expected.type, detail: expect.any(String) });
  expect(refusal.status).toBe(403);
  const suggested = expected.type === 'MESSAGE_RECONSTRUCTION_FAILED' ? 400 : 500;
  expect(refusal.suggestedStatusCode).toBe(suggested);
  expect(expectProblemAnswer(answer, suggested).detail).toContain(expected.type);

  const refused = await path.responder.waitForLog('PRINS message refused', (l) => l.msg === 'PRINS message refused' && l['messageId'] === messageId, 5_000, responderFrom);
  expect(refused['n32fErrorType']).toBe(expected.type);
  const report = await path.initiator.waitForLog(`n32f-error for ${messageId}`, (l) => l.msg === 'N32-f error reported by the peer' && l['n32fMessageId'] === messageId, 5_000, initiatorFrom);
  expect(report).toMatchObject({ peer: FQDN_A, n32fErrorType: expected.type });
  if (expected.ipxIds) expect(report['failedModifications']).toEqual(expected.ipxIds.map((ipxId) => ({ ipxId, n32fErrorType: expected.type })));
  if (expected.errorDetails) expect(report['errorDetails']).toEqual(expected.errorDetails);
  // Nothing reached the NF (the report above came after the refusal, so a late delivery would show).
  expect(producer.seen.length).toBe(seen);
  return { answer, exchange, report };
}
