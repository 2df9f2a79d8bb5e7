import type { Orchestrator } from '../orchestrator/contract.ts';
import { gatewayUrl } from '../openfaas/credentials.ts';
import { managerAddress } from '../nodes/address.ts';
import { CE_LIMITS } from '../openfaas/k8s-manifests.ts';
import { registryEndpoint } from './config.ts';
import { k3sDown } from './down.ts';
import { parseK3sFacts, probeK3sStep } from './probe.ts';
import { k3sStatus } from './status.ts';
import { k3sUp } from './up.ts';

/** k3s behind the orchestrator contract. */
export const k3sOrchestrator: Orchestrator = {
  kind: 'k3s',
  async probe(runner) {
    const step = probeK3sStep();
    const res = await runner.exec(step.command, { sudo: true, readOnly: true, timeoutMs: step.timeoutMs });
    if (res.code !== 0) throw new Error(`${runner.node}: probe failed (exit ${res.code}): ${res.stderr.trim()}`);
    const f = parseK3sFacts(res.stdout);
    const member = f.serverActive || f.agentActive;
    return {
      node: runner.node,
      arch: f.arch,
      member,
      detail: f.k3sVersion ? `k3s ${f.k3sVersion} ${member ? (f.serverActive ? 'server' : 'agent') : 'stopped'}` : `no k3s${f.memoryCgroup ? '' : ', memory cgroup off'}`,
    };
  },
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
