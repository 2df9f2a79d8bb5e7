import type { ClusterStatus, StatusDeps } from '../orchestrator/contract.ts';
import { GatewayClient } from '../gateway/client.ts';
import { OPENFAAS_NS } from '../openfaas/k8s-manifests.ts';

interface NodeList {
  items: Array<{ metadata: { name: string; labels?: Record<string, string> }; status?: { conditions?: Array<{ type: string; status: string }>; nodeInfo?: { architecture?: string } } }>;
}
interface DeployList {
  items: Array<{ metadata: { name: string }; spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } }; status?: { availableReplicas?: number } }>;
}

/** Asks the servers (first that answers, with k3s's own kubectl) for nodes and OpenFaaS's deployments. */
export async function k3sStatus(d: StatusDeps): Promise<ClusterStatus> {
  const errors: string[] = [];
  let nodes: NodeList | undefined;
  let deploys: DeployList | undefined;
  let answered: string | undefined;
  for (const node of d.spec.nodes.filter((n) => n.role === 'manager')) {
    try {
      const runner = await d.runner(node);
      const n = await runner.exec('k3s kubectl get nodes -o json', { sudo: true, readOnly: true, timeoutMs: 30_000 });
      if (n.code !== 0) throw new Error(`${node.name}: k3s does not answer (exit ${n.code}): ${n.stderr.trim().split('\n').at(-1) ?? ''}; run: edgefaas up`);
      nodes = JSON.parse(n.stdout) as NodeList;
      const dep = await runner.exec(`k3s kubectl -n ${OPENFAAS_NS} get deployments -o json`, { sudo: true, readOnly: true, timeoutMs: 30_000 });
      deploys = dep.code === 0 ? (JSON.parse(dep.stdout) as DeployList) : { items: [] };
      answered = node.name;
      break;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const rows = d.spec.nodes.map((n) => {
    const k = nodes?.items.find((x) => x.metadata.name === n.name);
    const ready = k?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    return {
      name: n.name,
      address: n.address,
      arch: k?.metadata.labels?.['edgefaas.arch'] ?? k?.status?.nodeInfo?.architecture ?? '?',
      role: n.role === 'manager' ? 'server' : 'agent',
      state: k ? (ready ? 'Ready' : 'NotReady') : 'not in cluster',
    };
  });
  const services = (deploys?.items ?? []).map((x) => ({
    name: x.metadata.name,
    replicas: `${x.status?.availableReplicas ?? 0}/${x.spec?.replicas ?? 0}`,
    image: x.spec?.template?.spec?.containers?.[0]?.image ?? '',
  }));
  const url = d.gatewayUrl;
  const healthy = await new GatewayClient({ baseUrl: url, fetch: d.fetch, timeoutMs: 5000 }).healthz().catch(() => false);
  return { gatewayUrl: url, gatewayHealthy: healthy, manager: answered, nodes: rows, services, errors };
}
