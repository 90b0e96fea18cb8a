import { N32C_PATHS, newN32fContextId, protectionPolicy, toProtectionPolicyData, type ProtectionPolicyData } from '@sepp/protocol';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_A, PLMN_B, writeYaml } from './support/configs';
import { FakePrinsResponder } from './support/fake-prins-responder';
import { H2Client } from './support/h2-client';
import { n32fInitiatorYaml, n32fResponderYaml } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { expectProblem } from './support/problem';
import { contextsOf } from './support/prins';
import { SeppProcess } from './support/sepp-process';
import { sleep } from './support/wait-for';

jest.setTimeout(90_000);

const WARNING = 'the peer protection policy differs from ours';

/** d': a data-type encryption policy without UEID (the mandatory types only). */
const dPrime = (policy: ProtectionPolicyData): ProtectionPolicyData => ({ ...policy, dataTypeEncPolicy: ['LOCATION', 'KEY_MATERIAL', 'AUTHENTICATION_MATERIAL', 'AUTHORIZATION_TOKEN'] });
/** m': the modification policy differs: one IE of the mapping becomes modifiable (isModifiable). */
const mPrime = (policy: ProtectionPolicyData): ProtectionPolicyData => {
  const copy = structuredClone(policy);
  copy.apiIeMappingList[0]!.IeList[0]!.isModifiable = true;
  return copy;
};
const both = (policy: ProtectionPolicyData): ProtectionPolicyData => mPrime(dPrime(policy));
const OURS = toProtectionPolicyData(protectionPolicy());

const CASES = [
  ["d' (data-type encryption policy) differs", dPrime, [/\/dataTypeEncPolicy/]],
  ["m' (modification policy: isModifiable) differs", mPrime, [/\/apiIeMappingList/]],
  ["both d' and m' differ", both, [/\/dataTypeEncPolicy/, /\/apiIeMappingList/]],
] as const;

/**
 * TS 33.517 4.2.2.6 TC_SEPP_POLICY_MISMATCH (TS 33.501 13.2.3.6): a data-type encryption policy
 * (d') or modification policy (m') received in exchange-params that differs from the configured
 * one is, per operator policy (`prins.policyMismatch`), refused with an error on N32-c or logged as
 * a warning. Both roles: the responder receiving `protectionPolicyInfo` from the test (a harness
 * initiator), and the initiator receiving `selProtectionPolicyInfo` from the test (a harness
 * responder, FakePrinsResponder). The dataTypeEncPolicy case between the two built apps is also in
 * prins-forwarding.e2e.spec.ts ("protection policy mismatch").
 */
describe('TC_SEPP_POLICY_MISMATCH', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
  });

  describe.each(['reject', 'warn'] as const)('SUT = the responder, prins.policyMismatch: %s', (mode) => {
    let responder: SeppProcess;

    beforeAll(async () => {
      const yaml = n32fResponderYaml(certA, pki, 1, { responderN32: { peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'modifying' }] } });
      yaml['prins'] = { policyMismatch: mode };
      responder = await SeppProcess.ready('responder', writeYaml(pki.dir, `responder-${mode}`, yaml));
    });

    afterAll(async () => {
      await responder?.stop();
    });

    it.each(CASES)('%s', async (_name, change, params) => {
      const client = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
      try {
        const selected = await client.postJson(N32C_PATHS.exchangeCapability, { sender: FQDN_B, supportedSecCapabilityList: ['PRINS'], plmnIdList: [PLMN_B] });
        expect(selected.json).toMatchObject({ selectedSecCapability: 'PRINS' });
        const contextId = newN32fContextId();
        const suites = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: contextId, jweCipherSuiteList: ['A128GCM'], jwsCipherSuiteList: ['ES256'], sender: FQDN_B });
        expect(suites.status).toBe(200);
        const from = responder.lines.length;
        const answer = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: contextId, protectionPolicyInfo: change(OURS), sender: FQDN_B });
        const warning = await responder.waitForLog('the policy warning', (l) => l.msg === WARNING, 5_000, from);
        expect(warning).toMatchObject({ level: 'warn', mode, peer: FQDN_B });
        const logged = (warning['mismatches'] as { param: string }[]).map((m) => m.param);
        for (const param of params) expect(logged.some((p) => param.test(p))).toBe(true);

        if (mode === 'reject') {
          // The error on N32-c: 403 POLICY_MISMATCH naming the differing parts; no context.
          const problem = expectProblem(answer, 403);
          expect(problem.cause).toBe('POLICY_MISMATCH');
          const named = (problem.invalidParams ?? []).map((p) => p.param);
          for (const param of params) expect(named.some((p) => p.startsWith('/protectionPolicyInfo') && param.test(p))).toBe(true);
          expect(await contextsOf(responder)).toEqual([]);
          expect((await responder.peer(FQDN_B))?.state).not.toBe('prins-established');
        } else {
          // A local warning only: the context is set up.
          expect(answer.status).toBe(200);
          await responder.waitForPeerState(FQDN_B, 'prins-established');
          expect((await contextsOf(responder)).map((c) => c.remoteContextId)).toContain(contextId);
        }
      } finally {
        client.close();
      }
    });
  });

  describe.each(['reject', 'warn'] as const)('SUT = the initiator, prins.policyMismatch: %s (the peer answers a differing selProtectionPolicyInfo)', (mode) => {
    let peer: FakePrinsResponder | undefined;
    let initiator: SeppProcess | undefined;

    afterEach(async () => {
      await initiator?.stop();
      await peer?.close();
      initiator = undefined;
      peer = undefined;
    });

    it.each(CASES)('%s', async (_name, change, params) => {
      peer = await FakePrinsResponder.start(certA, pki.ca.certPem, { fqdn: FQDN_A, plmn: PLMN_A, selProtectionPolicyInfo: change });
      const yaml = n32fInitiatorYaml(certB, pki, peer.port, { initiatorN32: { capabilities: ['PRINS'] } });
      yaml['prins'] = { policyMismatch: mode };
      initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, `initiator-${mode}-${params.length}-${String(params[0])}`.replace(/[^a-z0-9-]/gi, ''), yaml));
      const warning = await initiator.waitForLog('the policy warning', (l) => l.msg === WARNING);
      expect(warning).toMatchObject({ level: 'warn', mode, peer: FQDN_A });

      if (mode === 'reject') {
        const failed = await initiator.waitForPeer(FQDN_A, 'failed with POLICY_MISMATCH', (p) => p.state === 'failed' && p.lastError?.reason === 'POLICY_MISMATCH');
        for (const param of params) expect(failed.lastError?.detail).toMatch(param);
        // The error signal on N32-c (TS 29.573 n32f-error POLICY_MISMATCH with policyMismatchList).
        const [report] = peer.on(N32C_PATHS.n32fError);
        expect(report).toBeDefined();
        const info = report!.json as { n32fErrorType: string; n32fContextId: string; policyMismatchList: { param: string }[] };
        expect(info.n32fErrorType).toBe('POLICY_MISMATCH');
        expect([...peer.contexts.keys()]).toContain(info.n32fContextId);
        for (const param of params) expect(info.policyMismatchList.some((p) => param.test(p.param))).toBe(true);
        expect(await contextsOf(initiator)).toEqual([]);
      } else {
        await initiator.waitForPeerState(FQDN_A, 'prins-established');
        await sleep(200);
        expect(peer.on(N32C_PATHS.n32fError)).toEqual([]);
      }
    });
  });
});
