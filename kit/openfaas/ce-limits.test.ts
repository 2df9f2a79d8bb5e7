import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '../inventory/schema.ts';
import { orchestratorFor } from '../orchestrator/index.ts';
import { checkFunctionLimits } from './ce-limits.ts';
import { stackForCluster } from './functions.ts';

const k3s = (maxReplicas: number) =>
  ClusterSpec.parse({
    orchestrator: 'k3s',
    nodes: [{ name: 'pi-1', address: '10.0.0.5', role: 'manager' }],
    functions: [{ name: 'classify', model: 'resnet50', replicas: 1, maxReplicas }],
  });

describe('OpenFaaS CE limits in deploy (k3s)', () => {
  const limits = orchestratorFor(k3s(5)).functionLimits!;

  it('k3s carries CE\'s limits; Swarm none', () => {
    expect(limits).toEqual({ functions: 15, replicas: 5 });
    expect(orchestratorFor({ orchestrator: 'swarm' }).functionLimits).toBeUndefined();
  });

  it('refuses more than 5 replicas for a function, naming the function and what to change', () => {
    const stack = stackForCluster(k3s(8), { image: 'r/f:1', gateway: 'http://10.0.0.5:8080' });
    expect(() => checkFunctionLimits(limits, stack, ['classify'], [])).toThrow(
      'classify: com.openfaas.scale.max=8 but OpenFaaS CE allows 5 replicas per function; set maxReplicas/replicas to 5 or less in cluster.yaml (or the stack.yml label)',
    );
    const ok = stackForCluster(k3s(5), { image: 'r/f:1', gateway: 'http://10.0.0.5:8080' });
    expect(() => checkFunctionLimits(limits, ok, ['classify'], [])).not.toThrow();
  });

  it('refuses a 16th function, counting those already deployed', () => {
    const stack = stackForCluster(k3s(5), { image: 'r/f:1', gateway: 'http://10.0.0.5:8080' });
    const fifteen = Array.from({ length: 15 }, (_, i) => `fn-${i}`);
    expect(() => checkFunctionLimits(limits, stack, ['classify'], fifteen)).toThrow(/OpenFaaS CE allows 15 functions; this deploy would make 16 \(15 already deployed\)/);
    // Updating one that is already there is no new function.
    expect(() => checkFunctionLimits(limits, stack, ['classify'], [...fifteen.slice(1), 'classify'])).not.toThrow();
  });
});
