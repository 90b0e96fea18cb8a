import { createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

/** The NFs of PLMN 001/01 whose names and addresses topology hiding must keep inside. */
export const NRF1 = 'nrf1.5gc.mnc001.mcc001.3gppnetwork.org';
export const UDM1 = 'udm1.5gc.mnc001.mcc001.3gppnetwork.org';
export const AUSF1 = 'ausf1.5gc.mnc001.mcc001.3gppnetwork.org';
/** The internal addresses the NRF's profiles carry. */
export const INTERNAL_IPS = ['10.1.0.11', '10.1.0.12', 'fd00:5c0::11'];
export const SUPI = 'imsi-001010000000001';

export interface SeenByNf {
  readonly nf: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Three h2c NFs of the test in the home PLMN, whose answers are full of topology: the NRF's
 * SearchResult lists the UDM and the AUSF with FQDNs, IP addresses, IP end points and a default
 * notification callback URI; the AUSF answers an authentication with a Location and a `_links`
 * href to its own resource. Every request each NF receives is recorded.
 */
export class TopologyNfs {
  readonly seen: SeenByNf[] = [];
  private readonly servers: Http2Server[] = [];
  private readonly sessions = new Set<ServerHttp2Session>();
  readonly ports: Record<'nrf1' | 'udm1' | 'ausf1', number> = { nrf1: 0, udm1: 0, ausf1: 0 };

  static async start(): Promise<TopologyNfs> {
    const nfs = new TopologyNfs();
    for (const name of ['nrf1', 'udm1', 'ausf1'] as const) nfs.ports[name] = await nfs.listen(name);
    return nfs;
  }

  apiRoot(name: 'nrf1' | 'udm1' | 'ausf1'): string {
    return `http://${name}.5gc.mnc001.mcc001.3gppnetwork.org:${this.ports[name]}`;
  }

  private listen(name: 'nrf1' | 'udm1' | 'ausf1'): Promise<number> {
    const server = createServer();
    this.servers.push(server);
    server.on('session', (session) => {
      this.sessions.add(session);
      session.on('error', () => undefined);
      session.once('close', () => this.sessions.delete(session));
    });
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.seen.push({ nf: name, headers, body });
        this.answer(name, stream, headers);
      });
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  }

  private answer(name: string, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const method = String(headers[':method']);
    const path = String(headers[':path']).split('?')[0]!;
    const json = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      const text = JSON.stringify(body);
      stream.respond({ ':status': status, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extra });
      stream.end(text);
    };
    if (name === 'nrf1' && method === 'GET' && path === '/nnrf-disc/v1/nf-instances') {
      json(200, this.searchResult());
    } else if (name === 'ausf1' && method === 'POST' && path === '/nausf-auth/v1/ue-authentications') {
      const resource = `${this.apiRoot('ausf1')}/nausf-auth/v1/ue-authentications/ctx1`;
      json(201, { authType: '5G_AKA', _links: { '5g-aka': { href: `${resource}/5g-aka-confirmation` } }, servingNetworkName: '5G:mnc002.mcc002.3gppnetwork.org' }, { location: resource });
    } else if (name === 'ausf1' && method === 'PUT' && path === '/nausf-auth/v1/ue-authentications/ctx1/5g-aka-confirmation') {
      json(200, { authResult: 'AUTHENTICATION_SUCCESS', supi: SUPI });
    } else if (name === 'udm1' && method === 'GET' && path === `/nudm-sdm/v2/${SUPI}/am-data`) {
      json(200, { supi: SUPI, nssai: { defaultSingleNssais: [{ sst: 1 }] } });
    } else {
      json(404, { status: 404, cause: 'RESOURCE_NOT_FOUND', detail: `${name}: no ${method} ${path}` });
    }
  }

  private searchResult(): unknown {
    const profile = (name: 'udm1' | 'ausf1', type: string, service: string, ip: string) => {
      const fqdn = `${name}.5gc.mnc001.mcc001.3gppnetwork.org`;
      return {
        nfInstanceId: name === 'udm1' ? '8b3c1a34-0000-4000-8000-000000000011' : '8b3c1a34-0000-4000-8000-000000000012',
        nfType: type,
        nfStatus: 'REGISTERED',
        fqdn,
        ipv4Addresses: [ip],
        ipv6Addresses: [INTERNAL_IPS[2]],
        nfServices: [
          {
            serviceInstanceId: `${name}-1`,
            serviceName: service,
            versions: [{ apiVersionInUri: 'v1', apiFullVersion: '1.0.0' }],
            scheme: 'http',
            nfServiceStatus: 'REGISTERED',
            fqdn,
            ipEndPoints: [{ ipv4Address: ip, port: this.ports[name] }],
            defaultNotificationSubscriptions: [{ notificationType: 'N1_MESSAGES', callbackUri: `http://${fqdn}:${this.ports[name]}/notifications` }],
          },
        ],
      };
    };
    return { validityPeriod: 60, nfInstances: [profile('udm1', 'UDM', 'nudm-sdm', INTERNAL_IPS[0]!), profile('ausf1', 'AUSF', 'nausf-auth', INTERNAL_IPS[1]!)] };
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    await Promise.all(this.servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
