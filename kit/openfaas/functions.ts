import type { ClusterSpec, FunctionSpec } from '../inventory/schema.ts';
import { memoryMiB, spreadFor, type NodeRoom } from './placement.ts';
import type { Stack, StackFunction } from './stack.ts';

/** The gateway's upstream_timeout in the stack `up` deploys (swarm/openfaas.yml). */
export const GATEWAY_UPSTREAM_TIMEOUT_MS = 5 * 60_000;

/** Per model: the watchdog timeouts and the memory a replica needs (ResNet50 on wasm peaks ~600 MB per worker). */
const MODEL_DEFAULTS: Record<FunctionSpec['model'], { exec: string; write: string; limit: string; request: string }> = {
  resnet50: { exec: '60s', write: '65s', limit: '1536Mi', request: '768Mi' },
  catdog: { exec: '60s', write: '65s', limit: '1536Mi', request: '768Mi' },
};

/** What deploy's smoke test sends and the top-1 label it expects (darknet's dog.jpg, a malamute). */
export const SMOKE: Record<FunctionSpec['model'], { photo: string; label: RegExp }> = {
  resnet50: { photo: 'dog.jpg', label: /^(malamute|Eskimo_dog|Siberian_husky)$/ },
  catdog: { photo: 'dog.jpg', label: /^dogs?$/i },
};

/**
 * The stack.yml edgefaas deploys: one function per cluster.yaml entry, all from one multi-arch image.
 * With the nodes' rooms, replicas are spread one per node that has memory for one (placement.ts).
 */
export function stackForCluster(spec: ClusterSpec, o: { image: string; gateway: string; rooms?: NodeRoom[] }): Stack {
  const functions: Record<string, StackFunction> = {};
  // --- tput (#13): replicas and placement ---
  const allMB = spec.functions.reduce((sum, f) => sum + memoryMiB(MODEL_DEFAULTS[f.model].request), 0);
  // --- end tput ---
  for (const f of spec.functions) {
    const d = MODEL_DEFAULTS[f.model];
    // --- tput (#13): replicas and placement ---
    const spread = spreadFor(spec, f, { oneMB: memoryMiB(d.request), allMB }, o.rooms);
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
      },
      labels: {
        'com.openfaas.scale.min': String(spread.min),
        'com.openfaas.scale.max': String(spread.max),
      },
      annotations: { 'edgefaas.model': f.model },
      constraints: spread.constraints,
      limits: { memory: d.limit },
      requests: { memory: d.request },
    };
  }
  return { version: '1.0', provider: { name: 'openfaas', gateway: o.gateway }, functions };
}
