import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { ClusterSpec, FunctionSpec } from '../inventory/schema.ts';

/**
 * Replica sizes from the node's RAM and the model's measured needs, so a 1 GB Pi runs a replica.
 * Measured on wasm (reference/machine-facts.md, function/src/config.ts): a classifier process with one
 * ResNet50 worker settles near 410 MB RSS (its main process ~150 MB) and peaks near 600 MB over long
 * runs; the function budgets 650 MB per worker at peak.
 */
export const MODEL_NEEDS: Record<FunctionSpec['model'], { mainMi: number; workerSteadyMi: number; workerPeakMi: number }> = {
  resnet50: { mainMi: 150, workerSteadyMi: 260, workerPeakMi: 650 },
  // The cat/dog head runs on ResNet50's features: the same backbone, the same memory.
  catdog: { mainMi: 150, workerSteadyMi: 260, workerPeakMi: 650 },
};

/** What a node offers replicas: its RAM (a cgroup limit honoured) and cores, and whether the control plane runs there. */
export interface NodeCapacity {
  node: string;
  memoryMi: number;
  cpus: number;
  gateway: boolean;
}

export interface ReplicaSize {
  /** The function's WORKERS: model copies per replica. */
  workers: number;
  /** Swarm reservation / Kubernetes request: what the replica settles at. */
  requestMi: number;
  /** Its ceiling: what the workers peak at, never above the smallest node's RAM. */
  limitMi: number;
}

const SWARM_STACK = fileURLToPath(new URL('../../swarm/openfaas.yml', import.meta.url));

/** go-units RAMInBytes as Docker reads compose memory: 100M, 512Mi, 1g (binary units). */
export function mebibytes(v: string | number): number {
  if (typeof v === 'number') return v / 1024 ** 2;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw new Error(`not a memory size: ${v}`);
  const exp = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return (Number(m[1]) * 1024 ** exp) / 1024 ** 2;
}

/** What the OpenFaaS stack reserves on the gateway node (its services' memory reservations in swarm/openfaas.yml). */
export function stackReservationMi(file = SWARM_STACK): number {
  const doc = parse(readFileSync(file, 'utf8')) as { services: Record<string, { deploy?: { resources?: { reservations?: { memory?: string } } } }> };
  return Object.values(doc.services).reduce((sum, s) => sum + mebibytes(s.deploy?.resources?.reservations?.memory ?? 0), 0);
}

/** RAM left for replicas on one node. */
export function replicaRoomMi(n: NodeCapacity, stackMi = stackReservationMi()): number {
  return Math.max(0, n.memoryMi - (n.gateway ? stackMi : 0));
}

/**
 * One size for every replica of a model (a service's replicas are alike): as many workers as the
 * smallest node's room holds at peak and its cores use, at least one.
 */
export function replicaSize(model: FunctionSpec['model'], nodes: NodeCapacity[], stackMi = stackReservationMi()): ReplicaSize {
  const need = MODEL_NEEDS[model];
  const room = Math.min(...nodes.map((n) => replicaRoomMi(n, stackMi)));
  const cores = Math.min(...nodes.map((n) => n.cpus));
  const workers = Math.max(1, Math.min(cores, Math.floor((room - need.mainMi) / need.workerPeakMi)));
  const smallest = Math.min(...nodes.map((n) => n.memoryMi));
  return {
    workers,
    requestMi: need.mainMi + workers * need.workerSteadyMi,
    limitMi: Math.min(need.mainMi + workers * need.workerPeakMi, smallest),
  };
}

/** Replicas of that size the nodes' cores run at once: each worker takes a core (a half-CPU host counts as one). */
export function replicasTheCoresRun(nodes: NodeCapacity[], workers: number): number {
  return nodes.reduce((sum, n) => sum + Math.max(1, Math.floor(n.cpus / workers)), 0);
}

/** How many replicas of that size a node's room takes. */
export function replicasThatFit(n: NodeCapacity, size: ReplicaSize, stackMi = stackReservationMi()): number {
  return Math.floor(replicaRoomMi(n, stackMi) / size.requestMi);
}

/** Capacities of the nodes that could be probed (memory and cores as doctor reads them); the first manager runs the stack. */
export function nodeCapacities(
  spec: Pick<ClusterSpec, 'nodes'>,
  probed: Array<{ node: string; facts?: { memory: { totalMB: number }; cpus: number } }>,
): NodeCapacity[] {
  const gateway = spec.nodes.find((n) => n.role === 'manager')!.name;
  return probed.flatMap((p) => (p.facts ? [{ node: p.node, memoryMi: p.facts.memory.totalMB, cpus: p.facts.cpus, gateway: p.node === gateway }] : []));
}
