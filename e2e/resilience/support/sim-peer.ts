import { randomBytes } from 'node:crypto';
import {
  defaultProtectionPolicy,
  MASTER_KEY_LENGTH,
  N32C_PATHS,
  N32fContext,
  newN32fContextId,
  TLS_EXPORTER_LABEL,
  toProtectionPolicyData,
  type JweEnc,
} from '@sepp/protocol';
import { seppFqdn, type PlmnId } from '@sepp/infra';
import { FQDN_A, type PeerEntry } from '../../test/support/configs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { H2Client, parseJson, type H2Answer } from '../../test/support/h2-client';
import type { CertFiles, TestPki } from '../../test/support/pki';

/** What the simulated peer needs of a connection: an H2Client, or a `FuzzClient`. */
export interface N32Client {
  readonly session: ClientHttp2Session;
  readonly socket: TLSSocket;
  postJson(path: string, body: unknown): Promise<H2Answer>;
  close(): void;
}

/**
 * A mutual-TLS HTTP/2 client like H2Client, for heavy test traffic: the client session may buffer
 * 64 MB (node:http2's default is 10 MB, beyond which the client library itself refuses new streams
 * with ENHANCE_YOUR_CALM while the test process is busy generating the load).
 */
export function openFuzzClient(port: number, servername: string, tls: ReturnType<TestPki['clientTls']>): Promise<N32Client> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket | undefined;
    const session = connect(`https://${servername}:${port}`, {
      maxSessionMemory: 64,
      createConnection: () => (socket = tlsConnect({ host: '127.0.0.1', port, servername, ALPNProtocols: ['h2'], ...tls })),
    });
    session.once('error', reject);
    session.once('connect', () => {
      session.off('error', reject);
      session.on('error', () => undefined);
      resolve({
        session,
        socket: socket!,
        close: () => session.destroy(),
        postJson: (path, body) =>
          new Promise((done, fail) => {
            const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
            let status = 0;
            let headers = {};
            const chunks: Buffer[] = [];
            stream.on('response', (h) => ((status = Number(h[':status'])), (headers = h)));
            stream.on('data', (c: Buffer) => chunks.push(c));
            stream.on('error', fail);
            stream.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              done({ status, headers, text, json: parseJson(text) });
            });
            stream.end(JSON.stringify(body));
          }),
      });
    });
  });
}

/**
 * A roaming partner's SEPP simulated in the test process: its own certificate and PLMN, raw
 * mutual-TLS HTTP/2 connections to the responder, and the N32-c requests built as an initiator
 * builds them. Cheap enough to run dozens side by side on 2 cores, where dozens of initiator
 * processes would not fit.
 */
export class SimPeer {
  readonly fqdn: string;

  private constructor(
    readonly plmn: PlmnId,
    readonly cert: CertFiles,
    private readonly pki: TestPki,
    readonly intermediaries: NonNullable<PeerEntry['intermediaries']>,
    /** The loopback address its connections come from (a partner's SEPP has its own address); default: the system's choice. */
    readonly localAddress: string | undefined,
  ) {
    this.fqdn = seppFqdn(plmn);
  }

  static async mint(pki: TestPki, plmn: PlmnId, intermediaries: NonNullable<PeerEntry['intermediaries']> = 'none', localAddress?: string): Promise<SimPeer> {
    return new SimPeer(plmn, await pki.sepp(plmn), pki, intermediaries, localAddress);
  }

  /** Its entry in the responder's `n32.peers`. */
  entry(address?: string): PeerEntry {
    return { fqdn: this.fqdn, plmns: [this.plmn], intermediaries: this.intermediaries, ...(address ? { address } : {}) };
  }

  /** A mutual-TLS HTTP/2 connection to an N32 listener, presenting this peer's certificate. */
  connect(port: number, servername = FQDN_A): Promise<H2Client> {
    return H2Client.open(port, servername, { ...this.pki.clientTls(this.cert), ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
  }

  /** The SecNegotiateReqData this peer sends, offering `offered` (any strings, in that order). */
  negotiateBody(offered: readonly string[]): Record<string, unknown> {
    return {
      sender: this.fqdn,
      supportedSecCapabilityList: [...offered],
      n32HandshakeId: randomBytes(8).toString('hex'),
      '3GppSbiTargetApiRootSupported': true,
      plmnIdList: [{ mcc: this.plmn.mcc, mnc: this.plmn.mnc }],
      supportedFeatures: '0',
    };
  }

  /** Like `connect`, with a client session allowed to buffer more (for the fuzzer's load). */
  connectForFuzz(port: number, servername = FQDN_A): Promise<N32Client> {
    return openFuzzClient(port, servername, this.pki.clientTls(this.cert));
  }

  negotiate(client: N32Client, offered: readonly string[]): Promise<H2Answer> {
    return client.postJson(N32C_PATHS.exchangeCapability, this.negotiateBody(offered));
  }

  /**
   * PRINS end to end on `client`: exchange-capability offering PRINS (the responder must select it:
   * policy `modifying` or `ip-routing`), then exchange-params (suites, then the default protection
   * policy), then the N32-f context from this TLS session's exported master key, exactly as the
   * initiator app derives it.
   */
  async establishPrins(client: N32Client, enc: JweEnc = 'A128GCM'): Promise<N32fContext> {
    const capability = await this.negotiate(client, ['PRINS']);
    if (capability.status !== 200 || (capability.json as { selectedSecCapability?: string }).selectedSecCapability !== 'PRINS') {
      throw new Error(`${this.fqdn}: PRINS not selected: HTTP ${capability.status} ${capability.text.slice(0, 300)}`);
    }
    const localContextId = newN32fContextId();
    const suites = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: localContextId, jweCipherSuiteList: [enc], jwsCipherSuiteList: ['ES256'], sender: this.fqdn });
    if (suites.status !== 200) throw new Error(`${this.fqdn}: exchange-params (suites): HTTP ${suites.status} ${suites.text.slice(0, 300)}`);
    const remoteContextId = String((suites.json as { n32fContextId: string }).n32fContextId).toLowerCase();
    const policy = defaultProtectionPolicy();
    const policies = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: localContextId, protectionPolicyInfo: toProtectionPolicyData(policy), sender: this.fqdn });
    if (policies.status !== 200) throw new Error(`${this.fqdn}: exchange-params (policy): HTTP ${policies.status} ${policies.text.slice(0, 300)}`);
    const master = client.socket.exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
    return new N32fContext({ role: 'initiator', peer: FQDN_A, localContextId, remoteContextId, master, enc, policy });
  }
}
