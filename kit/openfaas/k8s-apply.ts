import { AppsV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { K8sObject } from './k8s-manifests.ts';

export class RolloutError extends Error {
  override name = 'RolloutError';
}

/**
 * Server-side apply of every object (field manager "edgefaas", conflicts forced as kubectl
 * apply --server-side --force-conflicts does), then a bounded wait for each Deployment's rollout.
 */
export async function applyAndWait(
  kubeconfig: string,
  objects: K8sObject[],
  o: { log(line: string): void; waitMs?: number; context?: string },
): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  if (o.context) kc.setCurrentContext(o.context);
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    await api.patch(obj as KubernetesObject, undefined, undefined, 'edgefaas', true, PatchStrategy.ServerSideApply);
  }
  const apps = kc.makeApiClient(AppsV1Api);
  const deadline = Date.now() + (o.waitMs ?? 600_000);
  for (const d of objects.filter((x) => x.kind === 'Deployment')) {
    const { name, namespace } = d.metadata;
    for (;;) {
      const dep = await apps.readNamespacedDeployment({ name, namespace: namespace! });
      const want = dep.spec?.replicas ?? 1;
      const st = dep.status ?? {};
      if ((st.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 1) && st.updatedReplicas === want && st.availableReplicas === want) break;
      if (Date.now() > deadline) {
        throw new RolloutError(
          `deployment ${namespace}/${name} not rolled out (${st.availableReplicas ?? 0}/${want} available); see: kubectl --context ${o.context ?? kc.getCurrentContext()} -n ${namespace} describe deployment ${name}`,
        );
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    o.log(`deployment ${namespace}/${name} rolled out`);
  }
}
