import type { ClusterStatus, StatusDeps } from '../orchestrator/contract.ts';
import { parseDockerFacts, probeDockerStep, type ManagerFacts } from '../docker/facts.ts';
import { GatewayClient } from '../gateway/client.ts';

/** The contract's status, each node also saying whether the swarm lists it. */
export interface SwarmStatus extends ClusterStatus {
  nodes: Array<ClusterStatus['nodes'][number] & { inSwarm: boolean }>;
}

/** Asks the managers (first that answers) for nodes and services, and the gateway for /healthz. */
export async function swarmStatus(d: StatusDeps): Promise<SwarmStatus> {
  const errors: string[] = [];
  let manager: ManagerFacts | undefined;
  let managerName: string | undefined;
  for (const node of d.spec.nodes.filter((n) => n.role === 'manager')) {
    try {
      const runner = await d.runner(node);
      const step = probeDockerStep();
      const res = await runner.exec(step.command, { sudo: true, readOnly: true, timeoutMs: step.timeoutMs });
      if (res.code !== 0) throw new Error(`${node.name}: probe failed (exit ${res.code}): ${res.stderr.trim()}`);
      const facts = parseDockerFacts(res.stdout);
      if (facts.manager) {
        manager = facts.manager;
        managerName = node.name;
        break;
      }
      errors.push(`${node.name}: not a swarm manager (docker ${facts.dockerRunning ? 'running' : 'not running'}, swarm ${facts.swarm.state || 'off'}); run: edgefaas up`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const nodes = d.spec.nodes.map((n) => {
    const listed = manager?.nodes.find((x) => x.labels['edgefaas.node'] === n.name) ?? manager?.nodes.find((x) => x.hostname === n.name);
    return {
      name: n.name,
      address: n.address,
      arch: listed?.labels['edgefaas.arch'] ?? listed?.arch ?? '?',
      role: listed?.role ?? n.role,
      state: listed ? `${listed.state}${listed.availability !== 'active' ? ` (${listed.availability})` : ''}` : 'not in swarm',
      inSwarm: Boolean(listed),
    };
  });
  const url = d.gatewayUrl;
  let healthy = false;
  try {
    healthy = await new GatewayClient({ baseUrl: url, fetch: d.fetch, timeoutMs: 5000 }).healthz();
  } catch {
    healthy = false;
  }
  return { gatewayUrl: url, gatewayHealthy: healthy, manager: managerName, nodes, services: manager?.services ?? [], errors };
}
