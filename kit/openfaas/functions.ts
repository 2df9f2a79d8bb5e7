import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClusterSpec, FunctionSpec } from '../inventory/schema.ts';
import { spreadFor, type NodeRoom } from './placement.ts';
import type { Stack, StackFunction } from './stack.ts';
import { replicasTheCoresRun, replicaSize, type NodeCapacity, type ReplicaSize } from './sizing.ts';

/** The gateway's upstream_timeout in the stack `up` deploys (swarm/openfaas.yml). */
export const GATEWAY_UPSTREAM_TIMEOUT_MS = 5 * 60_000;

/** Per model: the watchdog timeouts (memory comes from the nodes: kit/openfaas/sizing.ts). */
const MODEL_DEFAULTS: Record<FunctionSpec['model'], { exec: string; write: string }> = {
  resnet50: { exec: '60s', write: '65s' },
  catdog: { exec: '60s', write: '65s' },
};

/** Without the nodes' capacities (a stack written without probing them): the sizes for a 2 GB node, WORKERS left to the function. */
const UNSIZED: Omit<ReplicaSize, 'workers'> & { workers?: number } = { requestMi: 768, limitMi: 1536 };

/** Where scripts/setup puts darknet's photos (what deploy's smoke test and bench send by default). */
export function photosDir(env: NodeJS.ProcessEnv): string {
  return env.EDGEFAAS_PHOTOS || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgefaas', 'photos');
}

/** What deploy's smoke test sends and the top-1 label it expects (darknet's dog.jpg, a malamute). */
export const SMOKE: Record<FunctionSpec['model'], { photo: string; label: RegExp }> = {
  resnet50: { photo: 'dog.jpg', label: /^(malamute|Eskimo_dog|Siberian_husky)$/ },
  catdog: { photo: 'dog.jpg', label: /^dogs?$/i },
};

/**
 * The stack.yml edgefaas deploys: one function per cluster.yaml entry, all from one multi-arch image.
 * With the nodes' capacities, each replica's memory and WORKERS are sized for their RAM (a 1 GB Pi runs
 * one worker: sizing.ts); with their rooms, replicas are spread one per node that has memory for one (placement.ts).
 */
export function stackForCluster(spec: ClusterSpec, o: { image: string; gateway: string; nodes?: NodeCapacity[]; rooms?: NodeRoom[] }): Stack {
  const functions: Record<string, StackFunction> = {};
  const sizes = new Map(spec.functions.map((f) => [f.name, o.nodes ? replicaSize(f.model, o.nodes) : UNSIZED]));
  // --- tput (#13): replicas and placement ---
  const allMB = spec.functions.reduce((sum, f) => sum + sizes.get(f.name)!.requestMi, 0);
  // --- end tput ---
  for (const f of spec.functions) {
    const d = MODEL_DEFAULTS[f.model];
    const size = sizes.get(f.name)!;
    // --- tput (#13): replicas and placement ---
    const spread = spreadFor(spec, f, { oneMB: size.requestMi, allMB }, o.rooms, o.nodes && size.workers ? replicasTheCoresRun(o.nodes, size.workers) : undefined);
    // --- end tput ---
    functions[f.name] = {
      image: o.image,
      fprocess: 'node /home/app/function/dist/main.js',
      skip_build: true,
      environment: {
        MODEL: f.model,
        read_timeout: d.write,
        write_timeout: d.write,
        exec_timeout: d.exec,
        ...(size.workers ? { WORKERS: String(size.workers) } : {}),
      },
      labels: {
        'com.openfaas.scale.min': String(spread.min),
        'com.openfaas.scale.max': String(spread.max),
      },
      annotations: { 'edgefaas.model': f.model },
      constraints: spread.constraints,
      limits: { memory: `${size.limitMi}Mi` },
      requests: { memory: `${size.requestMi}Mi` },
    };
  }
  return { version: '1.0', provider: { name: 'openfaas', gateway: o.gateway }, functions };
}
