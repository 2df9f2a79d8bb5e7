import type { ClusterInput, NodeAuth, SecretRef } from './schema.ts';

/** The functions the wizard offers, by the name users invoke them with. */
export const FUNCTIONS = {
  classify: { model: 'resnet50', label: 'ResNet50 (ImageNet, 1000 classes, top 3)' },
  catdog: { model: 'catdog', label: 'cats vs dogs' },
} as const;
export type FunctionChoice = keyof typeof FUNCTIONS;

export interface NodeAnswer {
  name: string;
  /** IP, DNS name or ~/.ssh/config alias. */
  address: string;
  port?: number;
  user?: string;
  role: 'manager' | 'worker';
  auth: NodeAuth;
}

export type RegistryAnswer =
  | { mode: 'manager'; port: number }
  | { mode: 'external'; address: string; ca?: string; insecure?: boolean; username?: string; password?: SecretRef }
  | { mode: 'none' };

/** Everything `edgefaas init` asks (or reads from flags): plain values, no prompts. */
export interface InitAnswers {
  name: string;
  nodes: NodeAnswer[];
  orchestrator: 'swarm' | 'k3s';
  registry: RegistryAnswer;
  functions: FunctionChoice[];
  /** com.openfaas.scale.min / max of every function. */
  replicas: number;
  maxReplicas: number;
  gatewayPort: number;
  gatewayAuth: boolean;
}

/**
 * cluster.yaml's content from the answers. Fields the wizard does not ask about (node labels,
 * sudoPassword, ssh, openfaas) are kept from the existing file, so re-running init loses nothing.
 */
export function buildCluster(a: InitAnswers, existing?: ClusterInput): ClusterInput {
  const before = new Map((existing?.nodes ?? []).map((n) => [n.name, n]));
  const cluster: ClusterInput = {
    ...(existing ?? {}),
    version: 1,
    name: a.name,
    orchestrator: a.orchestrator,
    nodes: a.nodes.map((n) => {
      const old = before.get(n.name);
      return {
        name: n.name,
        address: n.address,
        ...(n.port !== undefined ? { port: n.port } : {}),
        ...(n.user !== undefined ? { user: n.user } : {}),
        role: n.role,
        auth: n.auth,
        ...(old?.sudoPassword ? { sudoPassword: old.sudoPassword } : {}),
        ...(old?.labels && Object.keys(old.labels).length ? { labels: old.labels } : {}),
      };
    }),
    registry: a.registry,
    gateway: { port: a.gatewayPort, auth: a.gatewayAuth },
    functions: a.functions.map((f) => ({ name: f, model: FUNCTIONS[f].model, replicas: a.replicas, maxReplicas: a.maxReplicas })),
  };
  return cluster;
}

/** Where a password typed into the wizard is kept (mode 0600), as cluster.yaml refers to it. */
export function passwordFileRef(cluster: string, node: string, env: NodeJS.ProcessEnv = process.env): SecretRef {
  const home = env.EDGEFAAS_HOME ? env.EDGEFAAS_HOME.replace(/\/+$/, '') : '~/.edgefaas';
  return { file: `${home}/${cluster}/secrets/${node}-password` };
}

/** `10.0.0.11:2222` -> address and port; a bare name, IP or IPv6 address has no port. */
export function splitHostPort(text: string): { address: string; port?: number } {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(text.trim());
  if (m) return { address: m[1]!, port: Number(m[2]) };
  const v6 = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text.trim());
  if (v6) return { address: v6[1]!, port: Number(v6[2]) };
  return { address: text.trim() };
}

/** A node name from an address: an alias or DNS name's first label, else node-N. */
export function suggestNodeName(address: string, index: number): string {
  if (/^[0-9.:]+$/.test(address) || address.includes(':')) return `node-${index + 1}`;
  const label = address.split('.')[0]!.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  return label || `node-${index + 1}`;
}
