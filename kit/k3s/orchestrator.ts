import type { Orchestrator } from '../orchestrator/contract.ts';
import { gatewayUrl } from '../openfaas/credentials.ts';
import { managerAddress } from '../nodes/address.ts';
import { CE_LIMITS } from '../openfaas/k8s-manifests.ts';
import { registryEndpoint } from './config.ts';
import { k3sDown } from './down.ts';
import { k3sStatus } from './status.ts';
import { k3sUp } from './up.ts';

/** k3s behind the orchestrator contract. */
export const k3sOrchestrator: Orchestrator = {
  kind: 'k3s',
  up: k3sUp,
  down: k3sDown,
  status: k3sStatus,
  gatewayUrl,
  functionLimits: CE_LIMITS,
  async imageDelivery(spec) {
    const first = await managerAddress(spec);
    const r = registryEndpoint(spec, first.ip);
    return {
      registry: r?.host,
      how: r ? `containerd on every node pulls from ${r.url} (mirror in /etc/rancher/k3s/registries.yaml)` : 'no registry: images must already be on the nodes',
    };
  },
};
