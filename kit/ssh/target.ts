import { promises as fs } from 'node:fs';
import SSHConfig from 'ssh-config';
import { join } from 'node:path';
import type { ClusterSpec, NodeSpec } from '../inventory/schema.ts';
import { expandTilde, userHome } from './paths.ts';

/** Where and as whom to connect, after ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump). */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  jump?: SshEndpoint;
  /** The name the host was asked for by (a ~/.ssh/config alias, or the address itself). */
  alias?: string;
  /** ssh_config HashKnownHosts yes: the kit writes this host's known_hosts entries hashed. */
  hashKnownHosts?: boolean;
}

type Computed = Record<string, string | string[]>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export async function readSshConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<SSHConfig | undefined> {
  try {
    return SSHConfig.parse(await fs.readFile(expandTilde(path, env), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The ssh_config a cluster's aliases come from: cluster.yaml's ssh.config, else ~/.ssh/config. */
export function clusterSshConfig(spec: Pick<ClusterSpec, 'ssh'>, env: NodeJS.ProcessEnv = process.env): Promise<SSHConfig | undefined> {
  return readSshConfig(spec.ssh.config ?? join(userHome(env), '.ssh', 'config'), env);
}

/** Parses "user@host:port" (ProxyJump syntax) into its parts. */
function splitDestination(dest: string): { user?: string; host: string; port?: number } {
  const at = dest.lastIndexOf('@');
  const user = at >= 0 ? dest.slice(0, at) : undefined;
  let rest = at >= 0 ? dest.slice(at + 1) : dest;
  let port: number | undefined;
  const m = /^(.*):(\d+)$/.exec(rest);
  if (m && !rest.startsWith('[')) {
    rest = m[1]!;
    port = Number(m[2]);
  }
  return { user, host: rest.replace(/^\[|\]$/g, ''), port };
}

export function resolveEndpoint(
  alias: string,
  config: SSHConfig | undefined,
  overrides: { user?: string; port?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
  depth = 0,
): SshEndpoint {
  if (depth > 4) throw new Error(`ProxyJump chain for ${alias} is longer than 4 hops (a loop in ssh config?)`);
  // ssh_config keywords are case-insensitive ("hostname" works for OpenSSH): compute them lower-cased.
  const c: Computed = config ? config.compute(alias, { ignoreCase: true }) : {};
  const user = overrides.user ?? first(c.user) ?? env.USER ?? 'root';
  const port = overrides.port ?? (first(c.port) ? Number(first(c.port)) : 22);
  const host = first(c.hostname) ?? alias;
  const endpoint: SshEndpoint = {
    host: host.replace(/%h/g, alias),
    port,
    user,
    identityFiles: all(c.identityfile).map((f) => expandTilde(f, env)),
    ...(alias !== host ? { alias } : {}),
    ...(first(c.hashknownhosts)?.toLowerCase() === 'yes' ? { hashKnownHosts: true } : {}),
  };
  const jump = first(c.proxyjump);
  if (jump && jump.toLowerCase() !== 'none') {
    // "a,b" means: reach a, from a reach b, from b reach the target.
    let previous: SshEndpoint | undefined;
    for (const hop of jump.split(',')) {
      const d = splitDestination(hop.trim());
      const ep = resolveEndpoint(d.host, config, { user: d.user, port: d.port }, env, depth + 1);
      if (previous) ep.jump = previous;
      previous = ep;
    }
    endpoint.jump = previous;
  }
  return endpoint;
}

export function endpointForNode(node: NodeSpec, config: SSHConfig | undefined, env: NodeJS.ProcessEnv = process.env): SshEndpoint {
  return resolveEndpoint(node.address, config, { user: node.user, port: node.port }, env);
}
