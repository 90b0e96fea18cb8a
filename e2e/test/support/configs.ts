import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { seppFqdn, type PlmnId } from '@sepp/infra';
import { TestPki, type CertFiles } from './pki';

export const PLMN_A: PlmnId = { mcc: '001', mnc: '01' };
export const PLMN_B: PlmnId = { mcc: '002', mnc: '02' };
export const FQDN_A = seppFqdn(PLMN_A);
export const FQDN_B = seppFqdn(PLMN_B);

/** A fresh test PKI and the SEPP certificates of PLMN A (the responder's) and PLMN B (the initiator's). */
export async function createPkiAB(): Promise<{ pki: TestPki; certA: CertFiles; certB: CertFiles }> {
  const pki = await TestPki.create();
  const [certA, certB] = await Promise.all([pki.sepp(PLMN_A), pki.sepp(PLMN_B)]);
  return { pki, certA, certB };
}

export interface PeerEntry {
  fqdn: string;
  plmns: PlmnId[];
  address?: string;
  intermediaries?: 'none' | 'ip-routing' | 'modifying';
  purposes?: string[];
}

export interface SeppYaml {
  sepp: { fqdn: string; plmns: PlmnId[]; capabilities: string[]; supportedFeatures?: string; targetApiRootSupported?: boolean };
  tls: { cert: string; key: string; ca: string[]; minVersion?: string };
  n32: {
    listen?: { host: string; port: number };
    peers: PeerEntry[];
    acceptUnknownPeers?: boolean;
    bodyLimit?: number;
    retry?: { initialDelayMs?: number; maxDelayMs?: number };
    renegotiation?: { enabled?: boolean; waitMs?: number; minIntervalMs?: number };
    requestTimeoutMs?: number;
    keepaliveMs?: number;
    idleTimeoutMs?: number;
    purposes?: string[];
  };
  admin: { listen: { host: string; port: number } };
  logging?: { level: string };
  [key: string]: unknown;
}

/** A responder of PLMN A on loopback, free ports, with one peer (PLMN B) by default. */
export function responderYaml(cert: CertFiles, pki: TestPki, overrides: Partial<SeppYaml['n32']> & { capabilities?: string[] } = {}): SeppYaml {
  const { capabilities, ...n32 } = overrides;
  return {
    sepp: { fqdn: FQDN_A, plmns: [PLMN_A], capabilities: capabilities ?? ['TLS', 'PRINS'] },
    tls: { cert: cert.cert, key: cert.key, ca: [pki.caFile] },
    n32: { listen: { host: '127.0.0.1', port: 0 }, peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'none' }], ...n32 },
    admin: { listen: { host: '127.0.0.1', port: 0 } },
    logging: { level: 'debug' },
  };
}

/** An initiator of PLMN B dialling the responder of PLMN A at `responderPort`. */
export function initiatorYaml(
  cert: CertFiles,
  pki: TestPki,
  responderPort: number,
  overrides: Partial<SeppYaml['n32']> & { capabilities?: string[]; intermediaries?: PeerEntry['intermediaries'] } = {},
): SeppYaml {
  const { capabilities, intermediaries, ...n32 } = overrides;
  return {
    sepp: { fqdn: FQDN_B, plmns: [PLMN_B], capabilities: capabilities ?? ['TLS', 'PRINS'] },
    tls: { cert: cert.cert, key: cert.key, ca: [pki.caFile] },
    n32: {
      peers: [{ fqdn: FQDN_A, plmns: [PLMN_A], address: `127.0.0.1:${responderPort}`, intermediaries: intermediaries ?? 'none' }],
      retry: { initialDelayMs: 100, maxDelayMs: 1_000 },
      requestTimeoutMs: 3_000,
      ...n32,
    },
    admin: { listen: { host: '127.0.0.1', port: 0 } },
    logging: { level: 'debug' },
  };
}

export function writeYaml(dir: string, name: string, config: unknown): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}
