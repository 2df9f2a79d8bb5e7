import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type SSHConfig from 'ssh-config';
import type { ClusterSpec, NodeSpec } from '../inventory/schema.ts';
import type { Runner } from '../plan/types.ts';
import { clusterSshConfig, endpointForNode } from '../ssh/target.ts';

/**
 * One address per node, used everywhere: the swarm's advertise address, the registry every node
 * trusts and pulls from, image names and the gateway URL. cluster.yaml may name a node by IP, DNS
 * name (pi-1.local) or ~/.ssh/config alias; the node's own `hostname -I` is no guide (docker0's
 * 172.17.0.1 comes first once Docker runs, wlan0 or IPv6 on a Pi with several interfaces).
 */
export interface ResolvedAddress {
  node: string;
  /** As cluster.yaml gives it. */
  given: string;
  /** What ssh connects to after ~/.ssh/config (its HostName). */
  host: string;
  /** The one IP every part uses. */
  ip: string;
  /** The node is reached through a ProxyJump: this machine cannot open `ip` directly. */
  behindJump: boolean;
}

export class AddressError extends Error {
  override name = 'AddressError';
}

/** A name's addresses, in resolver order; [] when it does not resolve. */
export type Lookup = (host: string) => Promise<string[]>;

export const systemLookup: Lookup = async (host) => {
  try {
    return (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (e) {
    if (['ENOTFOUND', 'EAI_AGAIN', 'ENODATA'].includes((e as NodeJS.ErrnoException).code ?? '')) return [];
    throw e;
  }
};

/** host:port with an IPv6 address bracketed, as URLs, image names and insecure-registries take it. */
export function hostPort(ip: string, port: number): string {
  return `${isIP(ip) === 6 ? `[${ip}]` : ip}:${port}`;
}

const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';

/**
 * The addresses `getent ahosts` prints, loopback left out: Debian and Raspberry Pi OS map a host's
 * own name to 127.0.1.1 in /etc/hosts, which is no address for the other nodes.
 */
export function parseGetent(out: string): string[] {
  const ips = out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((ip) => isIP(ip) && !isLoopback(ip));
  return [...new Set(ips)];
}

/** The node's address on the connection ssh came in on (SSH_CONNECTION's third field). */
export function parseSshConnection(out: string): string | undefined {
  const ip = out.trim().split(/\s+/)[2];
  return ip && isIP(ip) ? ip.replace(/^::ffff:/, '') : undefined;
}

/** Read-only, as the SSH user (sudo would drop SSH_CONNECTION). */
export async function addressSeenByNode(runner: Runner): Promise<string | undefined> {
  const r = await runner.exec('echo "$SSH_CONNECTION"', { readOnly: true, timeoutMs: 15_000 });
  return parseSshConnection(r.stdout);
}

/** How `names` resolve on a node (getent: /etc/hosts, DNS, mDNS as its nsswitch says). */
export async function resolveOnNode(runner: Runner, names: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!names.length) return out;
  const script = names.map((n) => `echo "@@${n}"; getent ahosts '${n}' 2>/dev/null || true`).join('\n');
  const r = await runner.exec(script, { readOnly: true, timeoutMs: 30_000 });
  let cur: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^@@(.+)$/.exec(line.trim());
    if (m) out.set(m[1]!, (cur = []));
    else cur.push(line);
  }
  for (const [k, v] of out) out.set(k, parseGetent(v.join('\n')));
  return out;
}

export interface ResolveOptions {
  sshConfig?: SSHConfig;
  lookup?: Lookup;
  env?: NodeJS.ProcessEnv;
  /** The node's runner: asked for its own address when this machine cannot resolve it (ProxyJump). */
  runner?: () => Promise<Runner>;
}

/**
 * This machine's view of a node's address: an IP as given, else the name (or the alias's HostName)
 * resolved here; behind a jump host, the address the node was reached on. `up` also checks that
 * the manager resolves each name the same way (agreeOnAddresses).
 */
export async function resolvedAddress(node: NodeSpec, o: ResolveOptions = {}): Promise<ResolvedAddress> {
  const ep = endpointForNode(node, o.sshConfig, o.env);
  const base = { node: node.name, given: node.address, host: ep.host, behindJump: !!ep.jump };
  if (isIP(ep.host)) return { ...base, ip: ep.host };
  if (!ep.jump) {
    const ips = await (o.lookup ?? systemLookup)(ep.host);
    const ip = ips.find((a) => !isLoopback(a));
    if (ip) return { ...base, ip };
  }
  const seen = o.runner ? await addressSeenByNode(await o.runner()) : undefined;
  if (seen) return { ...base, ip: seen };
  throw new AddressError(
    `${node.name}: cannot resolve ${ep.host}${ep.host !== node.address ? ` (${node.address} in ~/.ssh/config)` : ''} on this machine; ` +
      `give its IP as address in cluster.yaml, or add it to /etc/hosts or DNS`,
  );
}

/** What to do when this machine reaches the gateway's node only through a jump host. */
export function behindJumpMessage(m: ResolvedAddress, port: number): string {
  return (
    `the gateway runs on ${m.node} (${hostPort(m.ip, port)}), which this machine reaches only through an ssh jump host; ` +
    `open a tunnel: ssh -N -L ${port}:${hostPort(m.ip, port)} ${m.given}, then use --gateway http://127.0.0.1:${port} (or set OPENFAAS_URL)`
  );
}

/** The first manager's address: where the LAN registry and the gateway run. */
export function managerAddress(spec: Pick<ClusterSpec, 'nodes'>, o: ResolveOptions = {}): Promise<ResolvedAddress> {
  return resolvedAddress(spec.nodes.find((n) => n.role === 'manager')!, o);
}

const managerAddresses = new WeakMap<ClusterSpec, WeakMap<NodeJS.ProcessEnv, Promise<ResolvedAddress>>>();

/**
 * managerAddress with the cluster's ssh config, resolved once per loaded cluster.yaml and env: one
 * command asks for it for the gateway URL, the gateway's stored credentials and each image's
 * registry, and all of them must get the same address.
 */
export function clusterManagerAddress(spec: ClusterSpec, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedAddress> {
  let byEnv = managerAddresses.get(spec);
  if (!byEnv) managerAddresses.set(spec, (byEnv = new WeakMap()));
  let resolved = byEnv.get(env);
  if (!resolved) {
    resolved = clusterSshConfig(spec, env).then((sshConfig) => managerAddress(spec, { sshConfig, env }));
    byEnv.set(env, resolved);
  }
  return resolved;
}

/**
 * The control machine and the manager must agree on every name: nodes join, trust the registry and
 * pull images at the address the manager sees, the user reaches the gateway at the one this machine
 * sees. Each node gets its address or the error that says which address to write in cluster.yaml.
 */
export async function agreeOnAddresses(
  nodes: NodeSpec[],
  manager: { spec: NodeSpec; runner: Runner },
  o: Omit<ResolveOptions, 'runner'> & { runnerOf?: (n: NodeSpec) => Promise<Runner> } = {},
): Promise<Map<string, ResolvedAddress | Error>> {
  const out = new Map<string, ResolvedAddress | Error>();
  await Promise.all(
    nodes.map(async (n) => {
      const runner = o.runnerOf ? () => o.runnerOf!(n) : undefined;
      out.set(n.name, await resolvedAddress(n, { ...o, runner }).catch((e: Error) => e));
    }),
  );
  const resolved = [...out.values()].filter((r): r is ResolvedAddress => !(r instanceof Error));
  const names = [...new Set(resolved.filter((r) => !isIP(r.host)).map((r) => r.host))];
  const there = await resolveOnNode(manager.runner, names);
  for (const r of resolved) {
    const managerIps = there.get(r.host) ?? [];
    if (isIP(r.host) || !managerIps.length || managerIps.includes(r.ip)) continue;
    out.set(
      r.node,
      new AddressError(
        `${r.node}: ${r.host} is ${r.ip} on this machine but ${managerIps.join(', ')} on the manager ${manager.spec.name}, ` +
          `so the nodes would reach it at another address than you do; write the address the nodes use in cluster.yaml ` +
          `(address: ${managerIps[0]} for ${r.node}) or make /etc/hosts or DNS agree, then run: edgefaas up`,
      ),
    );
  }
  return out;
}
