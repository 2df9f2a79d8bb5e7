import { promises as fs } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { writeSecretFile } from '../inventory/secrets.ts';
import { userHome } from '../ssh/paths.ts';
import { K3S_API_PORT } from './version.ts';

interface Named {
  name: string;
  [k: string]: unknown;
}
interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [k: string]: unknown;
}

export const contextName = (cluster: string) => `edgefaas-${cluster}`;

/** $KUBECONFIG's first file, else ~/.kube/config (as kubectl writes). */
export function kubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(delimiter).find(Boolean);
  return first ?? join(userHome(env), '.kube', 'config');
}

/**
 * k3s.yaml names everything "default" and points at 127.0.0.1: rename cluster, user and context
 * to edgefaas-<cluster> and point the server at the server node's resolved address.
 */
export function rewriteK3sKubeconfig(k3sYaml: string, cluster: string, serverAddress: string): KubeconfigDoc {
  const doc = parse(k3sYaml) as KubeconfigDoc;
  const c = doc.clusters?.[0] as { cluster?: { server?: string } } | undefined;
  const u = doc.users?.[0];
  if (!c?.cluster || !u) throw new Error('the server\'s k3s.yaml has no cluster or user; is k3s running there?');
  const name = contextName(cluster);
  const host = serverAddress.includes(':') ? `[${serverAddress}]` : serverAddress;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ ...(c as Named), name, cluster: { ...c.cluster, server: `https://${host}:${K3S_API_PORT}` } }],
    users: [{ ...u, name }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
}

export interface MergeResult {
  path: string;
  context: string;
  status: 'created' | 'updated' | 'unchanged';
  backup?: string;
}

/**
 * Merges the cluster's entries into the user's kubeconfig: entries of other names are kept, the
 * user's current-context is left alone when set, the file is 0600 and the old one is kept as
 * <file>.edgefaas-backup (the first backup is never overwritten).
 */
export async function mergeKubeconfig(ours: KubeconfigDoc, path: string): Promise<MergeResult> {
  const context = ours['current-context']!;
  const before = await fs.readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  const doc: KubeconfigDoc = before ? ((parse(before) as KubeconfigDoc | null) ?? {}) : {};
  const put = (key: 'clusters' | 'users' | 'contexts') => {
    const mine = ours[key]![0]!;
    const list = (doc[key] ?? []).filter((e) => e.name !== mine.name);
    doc[key] = [...list, mine];
  };
  doc.apiVersion ??= 'v1';
  doc.kind ??= 'Config';
  put('clusters');
  put('users');
  put('contexts');
  if (!doc['current-context']) doc['current-context'] = context;
  doc.preferences ??= {};
  const text = stringify(doc);
  if (before === text) return { path, context, status: 'unchanged' };
  let backup: string | undefined;
  if (before !== undefined) {
    backup = `${path}.edgefaas-backup`;
    const has = await fs.stat(backup).catch(() => undefined);
    if (!has) await writeSecretFile(backup, before);
  }
  await writeSecretFile(path, text);
  await fs.chmod(path, 0o600);
  return { path, context, status: before === undefined ? 'created' : 'updated', ...(backup ? { backup } : {}) };
}
