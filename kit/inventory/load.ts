import { promises as fs } from 'node:fs';
import { parse } from 'yaml';
import { ClusterSpec } from './schema.ts';

export const DEFAULT_CLUSTER_FILE = 'cluster.yaml';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses cluster.yaml text. (The CLI engineer refines messages with line numbers.) */
export function parseCluster(text: string, source = DEFAULT_CLUSTER_FILE): ClusterSpec {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new ConfigError(`${source}: ${(e as Error).message}`);
  }
  const result = ClusterSpec.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
    throw new ConfigError(`${source}: ${path}: ${issue.message}`);
  }
  return result.data;
}

export async function loadCluster(path = DEFAULT_CLUSTER_FILE): Promise<ClusterSpec> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    throw new ConfigError(`${path} not found; run: edgefaas init (or edgefaas lab up)`);
  }
  return parseCluster(text, path);
}
