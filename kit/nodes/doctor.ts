import type { ClusterSpec, NodeSpec } from '../inventory/schema.ts';
import { forEachNode } from '../ssh/parallel.ts';
import type { SshPool } from '../ssh/pool.ts';
import { checkFacts, type Check, type ReplicaFit } from './checks.ts';
import { nodeCapacities, replicasThatFit, replicaSize, stackReservationMi } from '../openfaas/sizing.ts';
import { probeNode, type NodeFacts } from './facts.ts';

export interface NodeReport {
  node: string;
  address: string;
  ok: boolean;
  facts?: NodeFacts;
  checks: Check[];
  /** How many classifier replicas fit here, sized for the cluster's smallest node. */
  fit?: ReplicaFit;
  /** Why the node could not be probed (unreachable, auth, host key). */
  error?: string;
  ms: number;
}

/** Probes every node read-only, in parallel up to ssh.concurrency; one node failing does not stop the others. */
export async function doctor(spec: ClusterSpec, pool: SshPool, only?: string[]): Promise<NodeReport[]> {
  const nodes: NodeSpec[] = only?.length ? spec.nodes.filter((n) => only.includes(n.name)) : spec.nodes;
  const outcomes = await forEachNode(nodes, spec.ssh.concurrency, async (n) => probeNode(await pool.runner(n)));
  const fits = replicaFits(spec, outcomes.map((o) => (o.ok ? o.value : undefined)), nodes);
  return outcomes.map((o, i) => {
    const address = nodes[i]!.address;
    if (!o.ok) return { node: o.node, address, ok: false, checks: [], error: pool.redactor.redact(o.error.message), ms: o.ms };
    const fit = fits[i];
    const checks = checkFacts(o.value, fit);
    return { node: o.node, address, ok: !checks.some((c) => c.status === 'fail'), facts: o.value, checks, ...(fit ? { fit } : {}), ms: o.ms };
  });
}

/** Replicas per node, sized as deploy sizes them (kit/openfaas/sizing.ts) for the nodes doctor could probe. */
function replicaFits(spec: ClusterSpec, facts: Array<NodeFacts | undefined>, nodes: NodeSpec[]): Array<ReplicaFit | undefined> {
  const caps = nodeCapacities(spec, facts.map((f, i) => ({ node: nodes[i]!.name, facts: f })));
  if (!caps.length) return facts.map(() => undefined);
  const stackMi = stackReservationMi();
  const size = replicaSize(spec.functions[0]?.model ?? 'resnet50', caps, stackMi);
  return nodes.map((n) => {
    const c = caps.find((x) => x.node === n.name);
    return c && { replicas: replicasThatFit(c, size, stackMi), requestMi: size.requestMi, workers: size.workers, ...(c.gateway ? { stackMi } : {}) };
  });
}

const COLUMNS: Array<[string, (f: NodeFacts, r: NodeReport) => string]> = [
  ['OS', (f) => `${f.os.id} ${f.os.versionId}`],
  ['ARCH', (f) => `${f.kernel.arch}/${f.userlandArch ?? '?'}`],
  ['PLATFORM', (f) => f.platform ?? '-'],
  ['RAM', (f) => `${f.memory.totalMB}M${f.memory.cgroupLimitMB !== undefined ? ' (cgroup)' : ''}`],
  ['CPUS', (f) => String(f.cpus)],
  ['REPLICAS', (_f, r) => (r.fit ? String(r.fit.replicas) : '-')],
  ['SWAP', (f) => `${f.memory.swapMB}M`],
  ['DISK', (f) => `${(f.diskFreeMB / 1024).toFixed(1)}G`],
  ['PAGE', (f) => `${f.pageSize / 1024}K`],
  ['GLIBC', (f) => f.glibc ?? '-'],
  ['CGROUP', (f) => `v${f.cgroup.version}${f.cgroup.memoryController ? '+mem' : ''}`],
  ['DOCKER', (f) => (f.docker.installed ? `${f.docker.version ?? '?'}${f.docker.running ? '' : ' (stopped)'}` : '-')],
  ['SWARM', (f) => f.swarm?.state ?? '-'],
  ['API', (f) => (f.dockerApi ? `${f.dockerApi.api} (min ${f.dockerApi.minApi})` : '-')],
  ['K3S', (f) => (f.k3s.installed ? f.k3s.version ?? 'yes' : '-')],
  ['IPVS', (f) => (f.ipvs ? 'yes' : 'no')],
  ['SKEW', (f) => `${(f.clockSkewMs / 1000).toFixed(2)}s`],
  ['PORTS', (f) => (f.portsInUse.length ? f.portsInUse.map((p) => p.port).join(',') : 'free')],
];

/** The human table: a row of facts per node, then each problem with its fix. */
export function formatDoctor(reports: NodeReport[]): string {
  const header = ['NODE', 'HOSTNAME', ...COLUMNS.map(([h]) => h)];
  const rows = reports.map((r) => (r.facts ? [r.node, r.facts.hostname, ...COLUMNS.map(([, f]) => f(r.facts!, r))] : [r.node, '(not probed)']));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  const problems: string[] = [];
  for (const r of reports) {
    if (r.error) problems.push(`${r.node}: ${r.error}`);
    for (const c of r.checks.filter((x) => x.status !== 'ok')) {
      problems.push(`${r.node} ${c.status === 'fail' ? 'FAIL' : 'warn'} ${c.id}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}`);
    }
  }
  if (problems.length) out.push('', ...problems);
  const bad = reports.filter((r) => !r.ok).length;
  out.push('', bad ? `${bad} of ${reports.length} nodes need attention` : `all ${reports.length} nodes ready`);
  return out.join('\n');
}
