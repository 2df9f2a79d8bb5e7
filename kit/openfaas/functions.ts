import type { ClusterSpec, FunctionSpec } from '../inventory/schema.ts';
import type { Stack, StackFunction } from './stack.ts';
import { replicaSize, type NodeCapacity } from './sizing.ts';

/** The gateway's upstream_timeout in the stack `up` deploys (swarm/openfaas.yml). */
export const GATEWAY_UPSTREAM_TIMEOUT_MS = 5 * 60_000;

/** Per model: the watchdog timeouts (memory comes from the nodes: kit/openfaas/sizing.ts). */
const MODEL_DEFAULTS: Record<FunctionSpec['model'], { exec: string; write: string }> = {
  resnet50: { exec: '60s', write: '65s' },
  catdog: { exec: '60s', write: '65s' },
};

/** What deploy's smoke test sends and the top-1 label it expects (darknet's dog.jpg, a malamute). */
export const SMOKE: Record<FunctionSpec['model'], { photo: string; label: RegExp }> = {
  resnet50: { photo: 'dog.jpg', label: /^(malamute|Eskimo_dog|Siberian_husky)$/ },
  catdog: { photo: 'dog.jpg', label: /^dogs?$/i },
};

/**
 * The stack.yml edgefaas deploys: one function per cluster.yaml entry, all from one multi-arch image,
 * each replica's memory and WORKERS sized for the nodes' RAM (a 1 GB Pi runs one worker).
 */
export function stackForCluster(spec: ClusterSpec, o: { image: string; gateway: string; nodes: NodeCapacity[] }): Stack {
  const functions: Record<string, StackFunction> = {};
  for (const f of spec.functions) {
    const d = MODEL_DEFAULTS[f.model];
    const size = replicaSize(f.model, o.nodes);
    functions[f.name] = {
      image: o.image,
      fprocess: 'node /home/app/function/dist/main.js',
      skip_build: true,
      environment: {
        MODEL: f.model,
        read_timeout: d.write,
        write_timeout: d.write,
        exec_timeout: d.exec,
        WORKERS: String(size.workers),
      },
      labels: {
        'com.openfaas.scale.min': String(f.replicas),
        'com.openfaas.scale.max': String(f.maxReplicas),
      },
      annotations: { 'edgefaas.model': f.model },
      constraints: ['node.platform.os == linux'],
      limits: { memory: `${size.limitMi}Mi` },
      requests: { memory: `${size.requestMi}Mi` },
    };
  }
  return { version: '1.0', provider: { name: 'openfaas', gateway: o.gateway }, functions };
}
