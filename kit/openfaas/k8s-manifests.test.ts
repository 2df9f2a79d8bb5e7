import { describe, expect, it } from 'vitest';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { CE_LIMITS, K8S_CE_IMAGES, manifestsYaml, OPENFAAS_CHART, renderOpenfaasK8s, type K8sObject } from './k8s-manifests.ts';

/** kubernetes-models 4.5.1: validators generated from the Kubernetes 1.33 OpenAPI schema (k3s v1.33.5+k3s1). */
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

const validate = (o: K8sObject) => {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new Model(structuredClone(o) as never).validate();
};

describe('OpenFaaS CE manifests for k3s', () => {
  const objects = renderOpenfaasK8s({ password: 'pw-for-test', gatewayPort: 8080, registryPort: 5000 });

  it('validates every object against the Kubernetes 1.33 OpenAPI schema', () => {
    expect(objects.length).toBeGreaterThan(15);
    for (const o of objects) expect(() => validate(o), `${o.kind} ${o.metadata.name}`).not.toThrow();
  });

  it('the validator really checks: a broken Deployment is refused', () => {
    const gw = structuredClone(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway')!) as K8sObject & {
      spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } };
    };
    gw.spec.template.spec.containers[0]!.ports[0]!.containerPort = '8080';
    expect(() => validate(gw)).toThrow(/containerPort must be integer/);
  });

  it('has what the chart renders for CE: namespaces, basic-auth, gateway + faas-netes, NATS, queue-worker, Prometheus, Alertmanager', () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    for (const n of ['Namespace//openfaas', 'Namespace//openfaas-fn', 'Secret/openfaas/basic-auth', 'Deployment/openfaas/gateway', 'Deployment/openfaas/nats',
      'Deployment/openfaas/queue-worker', 'Deployment/openfaas/prometheus', 'Deployment/openfaas/alertmanager', 'Role/openfaas-fn/openfaas-controller']) {
      expect(names).toContain(n);
    }
    const gw = objects.find((o) => o.metadata.name === 'gateway' && o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } } };
    expect(gw.spec.template.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['gateway', K8S_CE_IMAGES.gateway],
      ['faas-netes', K8S_CE_IMAGES['faas-netes']],
    ]);
    expect(OPENFAAS_CHART.version).toBe('15.0.6');
    expect(CE_LIMITS).toEqual({ functions: 15, replicas: 5 });
  });

  it('puts the gateway on ServiceLB at the cluster\'s gateway port', () => {
    const ext = renderOpenfaasK8s({ password: 'x', gatewayPort: 8099 }).find((o) => o.metadata.name === 'gateway-external') as unknown as {
      spec: { type: string; ports: Array<{ port: number; targetPort: number }> };
    };
    expect(ext.spec.type).toBe('LoadBalancer');
    expect(ext.spec.ports[0]).toMatchObject({ port: 8099, targetPort: 8080 });
  });

  it('never prints the generated password in the readable manifests', () => {
    expect(manifestsYaml(objects)).not.toContain('pw-for-test');
    expect(manifestsYaml(objects)).toContain('basic-auth-password: <generated>');
  });
});
