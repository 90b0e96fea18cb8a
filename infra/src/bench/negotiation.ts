import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { createSecureContext, connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import {
  buildSecNegotiateReq,
  defaultProtectionPolicy,
  deriveN32fKeys,
  isJweEnc,
  MASTER_KEY_LENGTH,
  N32C_PATHS,
  newN32fContextId,
  TLS_EXPORTER_LABEL,
  toProtectionPolicyData,
} from '@sepp/protocol';
import { summarize, type LatencySummary } from './load';

/**
 * The negotiation latency the way a peer SEPP sees it, from a client outside the SEPP (the bench
 * process, acting as the initiating SEPP with its certificate): every measurement opens a fresh
 * TCP connection, does the mutual-TLS handshake (ALPN h2), and runs N32-c on it, one after the
 * other (never two at once):
 *
 * - `whole`: TCP connect + TLS + HTTP/2 preface + `exchange-capability` + the whole answer;
 * - `request-to-answer`: of that, from the request leaving until the answer has arrived;
 * - `prins-setup`: a full PRINS set-up on a fresh connection: `exchange-capability` (PRINS
 *   selected), `exchange-params` with the cipher suites, then with the protection policy, the
 *   TLS exporter (`EXPORTER_3GPP_N32_MASTER`) and N32-KDF over our context ID (the four directions'
 *   keys and IV salts), until this side holds the keys.
 *
 * The connection is closed after each measurement (not timed). Every answer is checked (status 200,
 * the expected selection, a context ID and a JWE suite we offered): a wrong answer stops the run.
 */
export interface NegotiationOptions {
  host: string;
  port: number;
  /** The responder's FQDN (TLS server name, checked against its certificate). */
  serverName: string;
  /** Our identity: the initiating SEPP's certificate (chain) and key, and the CA that signed the responder's. */
  tls: { cert: string; key: string; ca: string };
  /** `sender` and `plmnIdList` of our requests: a peer the responder knows. */
  self: { fqdn: string; plmns: Array<{ mcc: string; mnc: string }> };
  /** Sequential capability negotiations measured (after the warm-up). */
  capabilityRuns: number;
  /** Sequential PRINS set-ups measured (after a warm-up of their own; 0: none, no warm-up either). */
  prinsRuns: number;
  /**
   * Before each kind is measured, unmeasured ones of that kind: at least `warmup`, and for at least
   * `warmupMs` (the bench's warm-up, as the forwarding scenarios have: the server's code compiled
   * for the path before it is timed).
   */
  warmup: number;
  warmupMs: number;
  timeoutMs: number;
}

export interface NegotiationResult {
  /** The capability negotiations of the warm-up (`whole`): the first ones meet cold code. */
  warmupWhole: LatencySummary;
  /** Operations the warm-up ran (capability negotiations and PRINS set-ups). */
  warmupRuns: number;
  whole: LatencySummary;
  requestToAnswer: LatencySummary;
  prinsSetup: LatencySummary;
  /** Attempts that failed (not measured), by error; more than `maxErrors` stops the run. */
  errors: Record<string, number>;
}

/** Failed attempts tolerated (counted as errors) before the scenario gives up. */
const MAX_ERRORS = 10;

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

/** A fresh mutual-TLS HTTP/2 connection; resolves once the session is usable. */
function open(options: NegotiationOptions, secureContext: SecureContext): Promise<{ session: http2.ClientHttp2Session; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket | undefined;
    const session = http2.connect(`https://${options.host}:${options.port}`, {
      createConnection: () => {
        socket = tlsConnect({ host: options.host, port: options.port, servername: options.serverName, ALPNProtocols: ['h2'], secureContext });
        return socket;
      },
    });
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no N32-c connection to ${options.host}:${options.port} within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    session.once('connect', () => {
      clearTimeout(timer);
      resolve({ session, socket: socket! });
    });
    session.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function post(session: http2.ClientHttp2Session, path: string, body: unknown, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json', 'content-length': payload.length });
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`${path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve({ status, json: JSON.parse(text) as Record<string, unknown> });
      } catch {
        reject(new Error(`${path}: answer ${status} is not JSON: ${text.slice(0, 200)}`));
      }
    });
    stream.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    stream.end(payload);
  });
}

function expect(answer: Answer, what: string, check: (json: Record<string, unknown>) => boolean): void {
  if (answer.status !== 200 || !check(answer.json)) throw new Error(`${what}: unexpected answer ${answer.status} ${JSON.stringify(answer.json).slice(0, 300)}`);
}

function close(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    session.close(() => resolve());
    setTimeout(() => {
      session.destroy();
      resolve();
    }, 1_000).unref();
  });
}

function capabilityRequest(options: NegotiationOptions, capabilities: Array<'TLS' | 'PRINS'>): unknown {
  return buildSecNegotiateReq(
    { fqdn: options.self.fqdn, plmns: options.self.plmns, capabilities, supportedFeatures: '0', targetApiRootSupported: true },
    { n32HandshakeId: randomBytes(8).toString('hex') },
  );
}

/** One cold capability negotiation: [whole, request-to-answer] in ms. */
async function negotiateOnce(options: NegotiationOptions, secureContext: SecureContext): Promise<[number, number]> {
  const body = capabilityRequest(options, ['TLS', 'PRINS']);
  const start = performance.now();
  const { session } = await open(options, secureContext);
  const sent = performance.now();
  const answer = await post(session, N32C_PATHS.exchangeCapability, body, options.timeoutMs);
  const end = performance.now();
  await close(session);
  expect(answer, 'exchange-capability', (json) => json['selectedSecCapability'] === 'TLS');
  return [end - start, end - sent];
}

/** One cold PRINS set-up, in ms: capability, both exchange-params steps, exporter and N32-KDF. */
async function prinsSetupOnce(options: NegotiationOptions, secureContext: SecureContext, policy: unknown): Promise<number> {
  const capability = capabilityRequest(options, ['PRINS']);
  const contextId = newN32fContextId();
  const sender = options.self.fqdn;
  const start = performance.now();
  const { session, socket } = await open(options, secureContext);
  const selected = await post(session, N32C_PATHS.exchangeCapability, capability, options.timeoutMs);
  expect(selected, 'exchange-capability', (json) => json['selectedSecCapability'] === 'PRINS');
  const suites = await post(session, N32C_PATHS.exchangeParams, { n32fContextId: contextId, jweCipherSuiteList: ['A128GCM', 'A256GCM'], jwsCipherSuiteList: ['ES256'], sender }, options.timeoutMs);
  expect(suites, 'exchange-params (cipher suites)', (json) => typeof json['n32fContextId'] === 'string' && isJweEnc(json['selectedJweCipherSuite']));
  const policies = await post(session, N32C_PATHS.exchangeParams, { n32fContextId: contextId, protectionPolicyInfo: policy, sender }, options.timeoutMs);
  expect(policies, 'exchange-params (protection policy)', (json) => typeof json['selProtectionPolicyInfo'] === 'object');
  const master = socket.exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
  const keys = deriveN32fKeys(master, contextId, suites.json['selectedJweCipherSuite'] as 'A128GCM' | 'A256GCM');
  const end = performance.now();
  if (keys.parallelRequest.key.length === 0) throw new Error('N32-KDF derived no key');
  await close(session);
  return end - start;
}

export async function measureNegotiation(options: NegotiationOptions): Promise<NegotiationResult> {
  // Built once, as a peer SEPP does (ours: n32ClientSecureContext), not inside each measurement:
  // parsing the certificate, key and CA takes about 1.2 ms of CPU, the client's cost, not the
  // responder's.
  const secureContext = createSecureContext({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key), ca: readFileSync(options.tls.ca) });
  const errors: Record<string, number> = {};
  let failed = 0;
  /** Runs one attempt; a failure is counted (and the attempt repeated) up to MAX_ERRORS. */
  const attempt = async <T>(run: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await run();
      } catch (error) {
        const kind = (error as Error).message.slice(0, 120);
        errors[kind] = (errors[kind] ?? 0) + 1;
        if (++failed > MAX_ERRORS) throw new Error(`more than ${MAX_ERRORS} failed negotiations (last: ${(error as Error).message})`);
      }
    }
  };
  const warmupWhole: number[] = [];
  /** Unmeasured runs of `once` until the warm-up's count and time are both reached. */
  let warmupRuns = 0;
  const warmUp = async (once: () => Promise<unknown>): Promise<void> => {
    const started = performance.now();
    for (let done = 0; done < options.warmup || performance.now() - started < options.warmupMs; done++, warmupRuns++) await attempt(once);
  };
  await warmUp(async () => warmupWhole.push((await negotiateOnce(options, secureContext))[0]));
  const whole = new Float64Array(options.capabilityRuns);
  const toAnswer = new Float64Array(options.capabilityRuns);
  for (let i = 0; i < options.capabilityRuns; i++) {
    [whole[i], toAnswer[i]] = await attempt(() => negotiateOnce(options, secureContext));
  }
  const policy = toProtectionPolicyData(defaultProtectionPolicy());
  const setup = new Float64Array(options.prinsRuns);
  // No PRINS set-up asked for (a server that only negotiates): not even the warm-up ones.
  if (options.prinsRuns > 0) await warmUp(() => prinsSetupOnce(options, secureContext, policy));
  for (let i = 0; i < options.prinsRuns; i++) setup[i] = await attempt(() => prinsSetupOnce(options, secureContext, policy));
  return {
    warmupWhole: summarize(Float64Array.from(warmupWhole), warmupWhole.length),
    warmupRuns,
    whole: summarize(whole, whole.length),
    requestToAnswer: summarize(toAnswer, toAnswer.length),
    prinsSetup: summarize(setup, setup.length),
    errors,
  };
}
