import type { ClusterSpec, NodeSpec } from '../inventory/schema.ts';
import type { Runner } from '../plan/types.ts';
import type { ResolveOptions } from '../nodes/address.ts';

/**
 * One seam for every orchestrator (as arkade has for apps): cli/up, down and status pick an
 * implementation by cluster.yaml's `orchestrator` and use only this contract.
 */
export interface Orchestrator {
  readonly kind: ClusterSpec['orchestrator'];
  /** Converge every node; under dryRun only read-only steps run and the rest are printed. */
  up(d: UpDeps): Promise<UpResult>;
  /** Remove what up made; `purge` also uninstalls the orchestrator itself where it can (Swarm: restores the original daemon.json). */
  down(d: DownDeps): Promise<DownResult>;
  status(d: StatusDeps): Promise<ClusterStatus>;
  /** Where the OpenFaaS gateway answers, given the first manager's (server's) resolved address. */
  gatewayUrl(spec: ClusterSpec, managerIp: string): string;
  /** How a function image built here reaches the nodes. */
  imageDelivery(spec: ClusterSpec): Promise<ImageDelivery>;
  /** What the OpenFaaS edition this orchestrator runs allows (CE on Kubernetes: 15 functions, 5 replicas). */
  functionLimits?: { functions: number; replicas: number };
}

export interface ImageDelivery {
  /** host:port nodes pull from, or undefined when images must be loaded onto nodes. */
  registry?: string;
  /** One sentence for the user: how the node side is told about that registry. */
  how: string;
}

export interface StepProgress {
  start(node: string, step: string): void;
  done(node: string, step: string, outcome: 'changed' | 'unchanged'): void;
  fail(node: string, err: unknown): void;
}

export interface RunDeps {
  spec: ClusterSpec;
  /** The node's runner (wrapped by dryRun() under --dry-run: only read-only steps really run). */
  runner(node: NodeSpec): Promise<Runner>;
  dryRun: boolean;
  /** Progress, one line per step: titles only, never commands' stdin. */
  log(line: string): void;
  /** Rows for a progress display; when given, step titles go here, not to log. */
  progress?: StepProgress;
}

/** Files the user gives for nodes without internet (k3s's airgap install). */
export interface Airgap {
  binary: string;
  images: string;
  /** A sha256sum-style file listing both files' digests. */
  checksums: string;
}

export interface UpDeps extends RunDeps {
  passwordFile: string;
  /** How names and ~/.ssh/config aliases resolve on this machine (kit/nodes/address.ts). */
  resolve?: Omit<ResolveOptions, 'runner'>;
  gatewayWaitMs?: number;
  /** The user agreed to disruptive steps (a node reboot for cgroups). */
  yes?: boolean;
  airgap?: Airgap;
  fetch?: typeof globalThis.fetch;
  /** --adopt: work in a swarm/cluster edgefaas did not create (it says what it adds); refused otherwise. */
  adopt?: boolean;
  /** Where secrets met on the way (join tokens, the gateway password) are registered for redaction. */
  secrets?: { add(secret: string | undefined): void };
  /** A fresh connection to a node that went away on purpose (a reboot). */
  reconnect?(node: NodeSpec): Promise<Runner>;
  /** For $KUBECONFIG and the home directory. */
  env?: NodeJS.ProcessEnv;
}

export interface NodeOutcome {
  node: string;
  ok: boolean;
  /** Titles of the steps that changed something. */
  changes: string[];
  error?: string;
}

export interface UpResult {
  ok: boolean;
  changed: boolean;
  gatewayUrl: string;
  nodes: NodeOutcome[];
  notes: string[];
}

export interface DownDeps extends RunDeps {
  purge?: boolean;
}

export interface DownResult {
  ok: boolean;
  changed: boolean;
  nodes: NodeOutcome[];
}

export interface StatusDeps {
  spec: ClusterSpec;
  /** The gateway as this machine reaches it (openfaas/target.ts clusterGatewayUrl). */
  gatewayUrl: string;
  runner(node: NodeSpec): Promise<Runner>;
  fetch?: typeof globalThis.fetch;
}

export interface ClusterStatus {
  gatewayUrl: string;
  gatewayHealthy: boolean;
  /** The manager (or k3s server) that answered, or undefined when none did. */
  manager?: string;
  nodes: Array<{ name: string; address: string; arch: string; role: string; state: string }>;
  services: Array<{ name: string; replicas: string; image: string }>;
  errors: string[];
}

/** A flag or setting this orchestrator does not take: exit code 2, nothing changed. */
export class OrchestratorUsageError extends Error {
  override name = 'OrchestratorUsageError';
}
