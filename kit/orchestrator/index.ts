import type { ClusterSpec } from '../inventory/schema.ts';
import { swarmOrchestrator } from '../swarm/orchestrator.ts';
import { OrchestratorUsageError, type Orchestrator } from './contract.ts';

export type * from './contract.ts';
export { OrchestratorUsageError } from './contract.ts';

const k3sPending: Orchestrator = {
  ...swarmOrchestrator,
  kind: 'k3s',
  probe: () => Promise.reject(k3sNotYet()),
  up: () => Promise.reject(k3sNotYet()),
  down: () => Promise.reject(k3sNotYet()),
  status: () => Promise.reject(k3sNotYet()),
};

function k3sNotYet(): Error {
  return new OrchestratorUsageError('cluster.yaml says orchestrator: k3s; this edgefaas sets up Docker Swarm only');
}

/** The orchestrator cluster.yaml names: the one place that knows which implementations exist. */
export function orchestratorFor(spec: Pick<ClusterSpec, 'orchestrator'>): Orchestrator {
  return spec.orchestrator === 'k3s' ? k3sPending : swarmOrchestrator;
}
