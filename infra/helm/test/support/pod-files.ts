import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from './helm';

/** What the test's "cluster" holds: Secrets by name, each key's bytes. */
export type SecretStore = ReadonlyMap<string, Readonly<Record<string, Buffer | string>>>;

interface KeyToPath {
  key: string;
  path: string;
}
interface Volume {
  name: string;
  configMap?: { name: string; items?: KeyToPath[] };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number };
  emptyDir?: object;
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
}
export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
}

export function podSpecOf(workload: KubeObject): PodSpec {
  return (workload as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

/**
 * A container's files as the kubelet would lay them out: each volume mount becomes a folder under
 * `root` holding the ConfigMap's or Secret's keys (only `items` when the volume lists them, under
 * their `path`). A Secret or ConfigMap (or a key) the volume needs but the cluster lacks throws,
 * as the pod would never start. Returns mountPath -> folder on this host.
 */
export function materializeMounts(pod: PodSpec, container: Container, objects: readonly KubeObject[], secrets: SecretStore, root: string): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const [index, mount] of (container.volumeMounts ?? []).entries()) {
    const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
    if (!volume) throw new Error(`volumeMount ${mount.name} names no volume`);
    const dir = join(root, `${index}-${mount.name}`);
    mkdirSync(dir, { recursive: true });
    let data: Record<string, Buffer | string>;
    let items: KeyToPath[] | undefined;
    if (volume.configMap) {
      const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap!.name);
      if (!map) throw new Error(`volume ${volume.name}: ConfigMap ${volume.configMap.name} is not rendered`);
      data = (map as unknown as { data: Record<string, string> }).data;
      items = volume.configMap.items;
    } else if (volume.secret) {
      const secret = secrets.get(volume.secret.secretName);
      if (!secret) throw new Error(`volume ${volume.name}: Secret ${volume.secret.secretName} does not exist`);
      data = { ...secret };
      items = volume.secret.items;
    } else if (volume.emptyDir) {
      data = {};
    } else {
      throw new Error(`volume ${volume.name}: unsupported volume source`);
    }
    for (const { key, path } of items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
      if (!(key in data)) throw new Error(`volume ${volume.name}: key ${key} is missing`);
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), data[key]!);
    }
    mounts.set(mount.mountPath, dir);
  }
  return mounts;
}

/** A path in the container -> the file on this host, through the mounts. */
export function hostPathOf(mounts: ReadonlyMap<string, string>, path: string): string | undefined {
  for (const [mountPath, dir] of mounts) if (path.startsWith(`${mountPath}/`)) return join(dir, path.slice(mountPath.length + 1));
  return undefined;
}

/**
 * A configuration object whose every string that is a path inside a mount is replaced by that
 * file's place on this host (what the container would open); other values stay as they are.
 * Returns the copy and the container paths it replaced.
 */
export function withHostPaths(value: unknown, mounts: ReadonlyMap<string, string>, replaced: string[] = []): { value: unknown; replaced: string[] } {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const host = hostPathOf(mounts, node);
      if (host) replaced.push(node);
      return host ?? node;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return { value: walk(value), replaced };
}

/** The container's environment as the kubelet sets it (fieldRef metadata.name -> the pod's name). */
export function containerEnv(container: Container, podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (entry.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[entry.name] = podName;
    else throw new Error(`env ${entry.name}: unsupported source ${JSON.stringify(entry.valueFrom)}`);
  }
  return env;
}
