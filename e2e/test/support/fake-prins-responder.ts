import type { TLSSocket } from 'node:tls';
import {
  base64urlDecode,
  decryptFlattenedJwe,
  MASTER_KEY_LENGTH,
  N32C_PATHS,
  N32F_PROCESS_PATH,
  N32fContext,
  newN32fContextId,
  parseReformattedRequest,
  protectionPolicy,
  readMessageHeader,
  TLS_EXPORTER_LABEL,
  type HttpRequestMessage,
  type JweEnc,
  type ProtectionPolicyData,
} from '@sepp/protocol';
import type { PlmnId } from '@sepp/infra';
import { FakeResponder, type FakeAnswer, type FakeRequest } from './fake-responder';
import type { CertFiles } from './pki';

/** One n32f-process message the fake opened with the keys it holds. */
export interface OpenedN32f {
  readonly request: FakeRequest;
  /** The wire text of the N32fReformattedReqMsg. */
  readonly wire: string;
  readonly messageId: string;
  /** The decoded JWE `aad` (DataToIntegrityProtectBlock: metaData, requestLine, headers, payload). */
  readonly aad: { metaData: Record<string, unknown>; requestLine?: Record<string, unknown>; headers?: { header: string; value: unknown }[]; payload?: { iePath: string; ieValueLocation: string; value: unknown }[] };
  /** The decrypted JWE plaintext's `dataToEncrypt`. */
  readonly dataToEncrypt: unknown[];
  /** The NF request as rebuilt by @sepp/protocol (what the producer would get). */
  readonly message: HttpRequestMessage;
}

export interface FakePrinsOptions {
  readonly fqdn: string;
  readonly plmn: PlmnId;
  /** What exchange-capability selects (default PRINS). */
  readonly select?: 'PRINS' | 'TLS';
  /** The selProtectionPolicyInfo to answer (default: the one received, i.e. no mismatch). */
  readonly selProtectionPolicyInfo?: (received: ProtectionPolicyData) => ProtectionPolicyData;
  /** What the fake's "NF" answers through PRINS, or in TLS mode to a forwarded request. */
  readonly nfAnswer?: { status: number; body: unknown };
}

/**
 * A peer SEPP played by the test, holding the keys (a harness peer, TS 33.517 "Rig"): a scripted
 * mutual-TLS HTTP/2 responder that selects PRINS (or TLS), runs exchange-params like a pSEPP
 * (context ID, A128GCM, ES256), exports the N32 master key from ITS end of the TLS session, and
 * opens every n32f-process message with an @sepp/protocol N32fContext (role responder). Each
 * message is kept as the wire text, the decoded aad, the decrypted dataToEncrypt and the rebuilt
 * NF request, and answered with a protected NF answer. n32f-error / n32f-terminate are recorded.
 */
export class FakePrinsResponder {
  readonly opened: OpenedN32f[] = [];
  readonly contexts = new Map<string, N32fContext>();
  private readonly pending = new Map<string, { responderContextId: string; enc: JweEnc }>();

  private constructor(
    readonly fake: FakeResponder,
    private readonly options: FakePrinsOptions,
  ) {}

  static async start(cert: CertFiles, caPem: string, options: FakePrinsOptions): Promise<FakePrinsResponder> {
    // The script needs the instance, the instance needs the started server.
    const holder: { self?: FakePrinsResponder } = {};
    const fake = await FakeResponder.start(cert, caPem, (request) => holder.self!.answer(request));
    holder.self = new FakePrinsResponder(fake, options);
    return holder.self;
  }

  get port(): number {
    return this.fake.port;
  }

  /** Requests on a path (N32-c or N32-f) so far. */
  on(path: string): FakeRequest[] {
    return this.fake.requests.filter((r) => String(r.headers[':path']).split('?')[0] === path);
  }

  /** Requests that are neither N32-c nor n32f-process: NF requests forwarded in TLS mode. */
  get forwarded(): FakeRequest[] {
    return this.fake.requests.filter((r) => !String(r.headers[':path']).startsWith('/n32c-handshake/') && String(r.headers[':path']) !== N32F_PROCESS_PATH);
  }

  close(): Promise<void> {
    return this.fake.close();
  }

  private answer(request: FakeRequest): FakeAnswer {
    const path = String(request.headers[':path']);
    const body = request.json as Record<string, unknown> | undefined;
    const { fqdn, plmn } = this.options;
    switch (path) {
      case N32C_PATHS.exchangeCapability: {
        const offered = (body?.['supportedSecCapabilityList'] as string[] | undefined) ?? [];
        const selected = offered.includes(this.options.select ?? 'PRINS') ? (this.options.select ?? 'PRINS') : 'NONE';
        return { body: { sender: fqdn, selectedSecCapability: selected, plmnIdList: [plmn], supportedFeatures: '0', '3GppSbiTargetApiRootSupported': true } };
      }
      case N32C_PATHS.exchangeParams:
        return this.exchangeParams(request, body ?? {});
      case N32F_PROCESS_PATH:
        return this.process(request);
      case N32C_PATHS.n32fTerminate:
        return { body: { n32fContextId: (body?.['n32fContextId'] as string | undefined) ?? '0000000000000000' } };
      case N32C_PATHS.n32fError:
        return { status: 204 };
      default: {
        const answer = this.options.nfAnswer ?? { status: 200, body: { servedBy: 'fake-peer' } };
        return { status: answer.status, body: answer.body };
      }
    }
  }

  private exchangeParams(request: FakeRequest, body: Record<string, unknown>): FakeAnswer {
    const initiatorContextId = String(body['n32fContextId']);
    const { fqdn } = this.options;
    if (Array.isArray(body['jweCipherSuiteList'])) {
      const enc: JweEnc = (body['jweCipherSuiteList'] as string[]).includes('A128GCM') ? 'A128GCM' : 'A256GCM';
      const responderContextId = newN32fContextId();
      this.pending.set(initiatorContextId, { responderContextId, enc });
      return { body: { n32fContextId: responderContextId, selectedJweCipherSuite: enc, selectedJwsCipherSuite: 'ES256', sender: fqdn } };
    }
    const pending = this.pending.get(initiatorContextId);
    const received = body['protectionPolicyInfo'] as ProtectionPolicyData | undefined;
    if (!pending || !received) return { status: 400, contentType: 'application/problem+json', body: { status: 400, cause: 'MANDATORY_IE_MISSING' } };
    const socket = request.session.session.socket as TLSSocket;
    const master = socket.exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
    this.contexts.set(
      pending.responderContextId,
      new N32fContext({ role: 'responder', peer: request.session.clientCertificateSubjectAltName ?? '', localContextId: pending.responderContextId, remoteContextId: initiatorContextId, master, enc: pending.enc, policy: protectionPolicy() }),
    );
    const sel = this.options.selProtectionPolicyInfo?.(received) ?? received;
    return { body: { n32fContextId: pending.responderContextId, selProtectionPolicyInfo: sel, sender: fqdn } };
  }

  private process(request: FakeRequest): FakeAnswer {
    const reformatted = parseReformattedRequest(request.json);
    const header = readMessageHeader(reformatted);
    const context = this.contexts.get(header.n32fContextId);
    if (!context) return { status: 403, contentType: 'application/problem+json', body: { status: 403, cause: 'CONTEXT_NOT_FOUND' } };
    const jwe = (request.json as { reformattedData: Record<string, string> }).reformattedData;
    const aad = JSON.parse(base64urlDecode(jwe['aad']!).toString('utf8')) as OpenedN32f['aad'];
    const { key, salt } = context.keys.parallelRequest;
    const plaintext = decryptFlattenedJwe(jwe, key, { enc: context.params.enc, salt }).plaintext;
    const dataToEncrypt = (JSON.parse(plaintext.toString('utf8')) as { dataToEncrypt: unknown[] }).dataToEncrypt;
    const opened = context.openRequest(reformatted, header);
    this.opened.push({ request, wire: request.text, messageId: header.messageId, aad, dataToEncrypt, message: opened.message });
    const answer = this.options.nfAnswer ?? { status: 200, body: { servedBy: 'fake-peer' } };
    const nfBody = Buffer.from(JSON.stringify(answer.body));
    const sealed = context.protectResponse({ status: answer.status, headers: [['content-type', 'application/json']], body: nfBody }, opened.messageId, opened.request);
    return { body: sealed.body };
  }
}
