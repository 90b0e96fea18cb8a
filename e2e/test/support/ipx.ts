import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AppProcess } from './app-process';
import { FQDN_A, FQDN_B, PLMN_A, PLMN_B, writeYaml } from './configs';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, type TappedProducer } from './n32f';
import { REPO_ROOT } from './paths';
import type { CertFiles, TestPki } from './pki';
import { freePort } from './ports';
import { SeppProcess } from './sepp-process';

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
  static async ready(configFile: string): Promise<IpxProcess> {
    const ipx = new IpxProcess('ipx', [IPX_MAIN, '--config', configFile]);
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

  private constructor(
    readonly responder: SeppProcess,
    readonly ipx: IpxProcess,
    readonly initiator: SeppProcess,
    readonly certs: IpxCerts,
  ) {}

  static async start(pki: TestPki, certA: CertFiles, certB: CertFiles, producer: TappedProducer, options: IpxPathOptions): Promise<IpxPath> {
    const certs = options.ipxCerts ?? (await createIpxCerts(pki));
    const initiatorN32Port = await freePort();
    const responderYaml = n32fResponderYaml(certA, pki, producer.port, {
      responderN32: { peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'modifying', address: `127.0.0.1:${initiatorN32Port}` }] },
    });
    if (options.prins) responderYaml.prins = options.prins;
    const started: AppProcess[] = [];
    try {
      const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, `${options.name}-responder`, responderYaml));
      started.push(responder);
      const ipxConfig = {
        ipx: { fqdn: IPX_FQDN, signingKey: certs.signing.key },
        tls: { cert: certs.tls.cert, key: certs.tls.key, ca: [pki.caFile] },
        listen: { host: '127.0.0.1', port: 0 },
        forward: { address: `127.0.0.1:${responder.port('n32')}`, fqdn: FQDN_A, timeoutMs: 5_000 },
        rules: options.rules ?? [],
        admin: { listen: { host: '127.0.0.1', port: 0 } },
        logging: { level: 'info' },
      };
      const ipxFile = join(pki.dir, `${options.name}-ipx.yaml`);
      writeFileSync(ipxFile, stringify(ipxConfig));
      const ipx = await IpxProcess.ready(ipxFile);
      started.push(ipx);
      const initiatorYaml = n32fInitiatorYaml(certB, pki, responder.port('n32'), {
        initiatorN32: { listen: { host: '127.0.0.1', port: initiatorN32Port } },
      });
      initiatorYaml.n32.peers = [
        {
          fqdn: FQDN_A,
          plmns: [PLMN_A],
          address: `127.0.0.1:${responder.port('n32')}`,
          intermediaries: 'modifying',
          ipx: { fqdn: IPX_FQDN, address: `127.0.0.1:${ipx.port('n32f')}`, signingKeys: [options.initiatorKnowsKey ?? leafOnly(pki, certs.signing, `${options.name}-ipx-signing-leaf.crt`)] },
        } as never,
      ];
      if (options.prins) initiatorYaml.prins = options.prins;
      const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, `${options.name}-initiator`, initiatorYaml));
      started.push(initiator);
      const path = new IpxPath(responder, ipx, initiator, certs);
      await initiator.waitForPeerState(FQDN_A, 'prins-established', 10_000);
      await responder.waitForPeerState(FQDN_B, 'prins-established', 10_000);
      path.nf = await NfClient.connect(initiator.port('sbi'));
      return path;
    } catch (error) {
      for (const app of started.reverse()) await app.stop();
      throw error;
    }
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
