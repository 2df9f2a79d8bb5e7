import type { ClusterSpec, FunctionSpec } from '../inventory/schema.ts';
import type { NodeReport } from '../nodes/index.ts';

/** A node's room for function replicas, as deploy sees it before sending anything. */
export interface NodeRoom {
  node: string;
  /** Swarm's node.hostname: the host's own hostname. */
  hostname: string;
  memoryMB: number;
}

/** Memory a node keeps for its OS, sshd and dockerd before any replica. */
export const NODE_RESERVE_MB = 256;

export class PlacementError extends Error {
  override name = 'PlacementError';
}

/** Replicas whose memory request fits beside the node's own needs (a simple per-node memory check). */
export function replicasThatFit(memoryMB: number, requestMB: number): number {
  return Math.max(0, Math.floor((memoryMB - NODE_RESERVE_MB) / requestMB));
}

export interface Spread {
  /** com.openfaas.scale.min: the replicas faas-swarm starts with (and every update resets to). */
  min: number;
  /** com.openfaas.scale.max: where the gateway's alert scaling stops (never past what the nodes' cores run, unless cluster.yaml says so). */
  max: number;
  /** Sent as the deployment's constraints: faas-swarm keeps them on every update. */
  constraints: string[];
  /** Nodes with room for a replica. */
  nodes: string[];
}

/**
 * Where a function's replicas go. faas-swarm 0.9.0 writes only constraints into a service's
 * placement and rewrites the whole placement on every update (PUT), so Swarm placement preferences
 * or max-replicas-per-node set beside it would be lost; what survives is what the deployment
 * carries. So: the replica count defaults to the nodes with memory for one replica of every
 * function, which Swarm's scheduler (fewest tasks of the service first) spreads one per node, and a
 * node without memory even for this one is excluded by a constraint. When no node holds all the
 * functions at once (1 GB Pis), each function starts with its own `replicas` and the memory
 * reservations keep them apart. Alert scaling stops at the function's `maxReplicas`, or sooner at
 * `coreReplicas` (replicas the nodes' cores run at once): a CPU-bound replica past that only takes
 * CPU from the replicas serving, and its model load more. `scale.min`/`scale.max` in cluster.yaml
 * override the counts; a function's `replicas` stays a floor.
 */
export function spreadFor(
  spec: Pick<ClusterSpec, 'scale'>,
  fn: FunctionSpec,
  need: { oneMB: number; allMB: number },
  rooms: NodeRoom[] | undefined,
  coreReplicas = Infinity,
): Spread {
  const base = ['node.platform.os == linux'];
  const maxFor = (min: number) => spec.scale?.max ?? Math.max(min, Math.min(fn.maxReplicas, coreReplicas));
  if (!rooms) {
    const min = spec.scale?.min ?? fn.replicas;
    return { min, max: maxFor(min), constraints: base, nodes: [] };
  }
  const fits = rooms.filter((r) => replicasThatFit(r.memoryMB, need.oneMB) >= 1);
  if (!fits.length) {
    const seen = rooms.map((r) => `${r.node} ${r.memoryMB} MB`).join(', ');
    throw new PlacementError(`no node has room for a replica of ${fn.name} (it reserves ${Math.round(need.oneMB)} MiB, each node keeps ${NODE_RESERVE_MB} MB for itself; ${seen}); add memory or a node, then run: edgefaas doctor`);
  }
  const holdsAll = rooms.filter((r) => replicasThatFit(r.memoryMB, need.allMB) >= 1);
  const min = spec.scale?.min ?? Math.max(fn.replicas, holdsAll.length);
  const excluded = rooms.filter((r) => !fits.includes(r)).map((r) => `node.hostname != ${r.hostname}`);
  return { min, max: Math.max(maxFor(min), min), constraints: [...base, ...excluded], nodes: (holdsAll.length ? holdsAll : fits).map((r) => r.node) };
}

/** Each node's hostname and memory from doctor's reports; a node that did not answer fails the deploy. */
export function nodeRooms(reports: NodeReport[]): NodeRoom[] {
  return reports.map((r) => {
    if (!r.facts) throw new PlacementError(`cannot read node ${r.node} (${r.address}) to place replicas: ${r.error ?? 'no answer'}; run: edgefaas doctor --node ${r.node}`);
    return { node: r.node, hostname: r.facts.hostname, memoryMB: r.facts.memory.totalMB };
  });
}
