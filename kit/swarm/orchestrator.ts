import { OrchestratorUsageError, type Orchestrator } from '../orchestrator/contract.ts';
import { registryAddress } from '../images/cluster.ts';
import { gatewayUrl } from '../openfaas/credentials.ts';
import { swarmUp } from './up.ts';
import { swarmDown } from './down.ts';
import { swarmStatus } from './status.ts';

/** Docker Swarm behind the orchestrator contract: a thin adapter over swarmUp/Down/Status. */
export const swarmOrchestrator: Orchestrator = {
  kind: 'swarm',
  up(d) {
    if (d.airgap) throw new OrchestratorUsageError('--k3s-binary/--k3s-images are for orchestrator: k3s; this cluster.yaml says swarm');
    return swarmUp(d);
  },
  // --purge on Swarm: the original daemon.json back on every node, and edgefaas' record removed (Docker stays).
  down: swarmDown,
  status: swarmStatus,
  gatewayUrl,
  async imageDelivery(spec) {
    const registry = await registryAddress(spec);
    return {
      registry,
      how: registry ? `nodes pull from ${registry} (listed in each node's /etc/docker/daemon.json)` : 'images are loaded onto the manager with docker load',
    };
  },
};
