import { N32C_PATHS } from '@sepp/protocol';
import { createCa, createLeaf, loadCa, mintExpired, mintNotYetValid, type MintedCa, type MintedLeaf } from '@sepp/protocol/pki';
import type { CaseRecorder } from '../cases/recorder';
import { deviation, pass, skip, type CaseOutcome, type RequirementLevel } from '../cases/types';
import { WireFailure, type ProbeConnection } from '../net/probe-connection';
import { foreignPlmn, foreignSeppFqdn, negotiationRequest } from './negotiation';
import { describeAnswer, type ResponderContext } from './responder-context';

/** How an attempt with a faulty certificate ended. */
type Attempt = { kind: 'refused'; observed: string } | { kind: 'answered'; status: number; observed: string; problemFindings: string[] };

async function attempt(ctx: ResponderContext, cert: { certPem: string; keyPem: string } | null): Promise<Attempt> {
  let connection: ProbeConnection;
  try {
    connection = await ctx.connect(ctx.tls(cert ? { cert: cert.certPem, key: cert.keyPem } : { cert: undefined, key: undefined }));
  } catch (error) {
    if (error instanceof WireFailure && error.stage !== 'connect') return { kind: 'refused', observed: `TLS handshake refused: ${error.describe()}` };
    throw error;
  }
  try {
    const answer = await ctx.post(connection, N32C_PATHS.exchangeCapability, negotiationRequest(ctx, ['TLS']));
    return { kind: 'answered', status: answer.status, observed: `handshake completed, request answered: ${describeAnswer(answer)}`, problemFindings: ctx.problemFindings(answer) };
  } catch (error) {
    if (error instanceof WireFailure) return { kind: 'refused', observed: `handshake completed (TLS 1.3 verifies the client after it), then refused: ${error.describe()}` };
    throw error;
  } finally {
    connection.close();
  }
}

/**
 * `handshake`: the fault must fail the TLS handshake (a 4xx after it is a late refusal, a
 * warning); `binding`: a refused handshake or a 403 problem+json both pass.
 */
function judge(level: RequirementLevel, expect: 'handshake' | 'binding', result: Attempt): CaseOutcome {
  if (result.kind === 'refused') return pass(result.observed);
  if (result.status >= 200 && result.status < 300) return deviation(level, result.observed, ['the faulty certificate was accepted']);
  if (result.status >= 400 && result.status < 500) {
    if (expect === 'binding' && result.status === 403 && result.problemFindings.length === 0) return pass(result.observed);
    return deviation('should', result.observed, [expect === 'handshake' ? 'refused after the TLS handshake instead of in it' : `refused with ${result.status}, not 403`, ...result.problemFindings]);
  }
  return deviation(level, result.observed);
}

/** The cert.* cases: every faulty certificate is minted here, at run time. */
export async function checkCertificates(ctx: ResponderContext, recorder: CaseRecorder): Promise<void> {
  const sender = ctx.options.sender;
  await recorder.run('cert.none', async (d) => judge(d.level, 'handshake', await attempt(ctx, null)));
  await recorder.run('cert.untrusted-ca', async (d) => {
    const rogue = await createCa({ commonName: 'SEPP probe untrusted CA' });
    return judge(d.level, 'handshake', await attempt(ctx, await chain(createLeaf({ ca: rogue, dnsNames: [sender] }))));
  });

  let ca: MintedCa | null = null;
  let why = 'needs --ca-key (the key of the CA that issued --cert) to mint certificates the partner would otherwise trust';
  if (ctx.options.signingCa) {
    try {
      ca = await loadCa(ctx.options.signingCa.certPem, ctx.options.signingCa.keyPem);
    } catch (error) {
      why = `the CA key cannot sign here (P-256 ECDSA only): ${(error as Error).message}`;
    }
  }
  const foreign = foreignSeppFqdn(foreignPlmn(ctx.options.plmns));
  const signed: [string, 'handshake' | 'binding', (ca: MintedCa) => Promise<MintedLeaf>][] = [
    ['cert.expired', 'handshake', (c) => mintExpired(c, [sender])],
    ['cert.not-yet-valid', 'handshake', (c) => mintNotYetValid(c, [sender])],
    ['cert.wrong-eku', 'handshake', (c) => createLeaf({ ca: c, dnsNames: [sender], extendedKeyUsage: ['serverAuth'] })],
    ['cert.san-other-plmn', 'binding', (c) => createLeaf({ ca: c, dnsNames: [foreign] })],
    ['cert.non-3gpp-san', 'binding', (c) => createLeaf({ ca: c, dnsNames: ['sepp.example.com'] })],
  ];
  for (const [id, expect, mint] of signed) {
    if (!ca) {
      recorder.set(id, skip(why));
      continue;
    }
    const issuer = ca;
    await recorder.run(id, async (d) => judge(d.level, expect, await attempt(ctx, await chain(mint(issuer)))));
  }
}

async function chain(leaf: Promise<MintedLeaf>): Promise<{ certPem: string; keyPem: string }> {
  const minted = await leaf;
  return { certPem: minted.chainPem, keyPem: minted.keyPem };
}
