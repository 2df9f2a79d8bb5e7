import type { ClusterSpec } from '../inventory/schema.ts';
import { k3sOrchestrator } from '../k3s/orchestrator.ts';
import { swarmOrchestrator } from '../swarm/orchestrator.ts';
import type { Orchestrator } from './contract.ts';

export type * from './contract.ts';
export { OrchestratorUsageError } from './contract.ts';

/** The orchestrator cluster.yaml names: the one place that knows which implementations exist. */
export function orchestratorFor(spec: Pick<ClusterSpec, 'orchestrator'>): Orchestrator {
  return spec.orchestrator === 'k3s' ? k3sOrchestrator : swarmOrchestrator;
}
