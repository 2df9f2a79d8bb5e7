import { OrchestratorUsageError } from '../orchestrator/contract.ts';
import type { Stack } from './stack.ts';

/**
 * OpenFaaS CE on Kubernetes allows 15 functions and 5 replicas per function: refuse a deploy that
 * would pass them, before anything is sent, rather than let the gateway fail half-way.
 */
export function checkFunctionLimits(limits: { functions: number; replicas: number }, stack: Stack, names: string[], deployed: string[]): void {
  const after = new Set([...deployed, ...names]);
  if (after.size > limits.functions) {
    throw new OrchestratorUsageError(
      `OpenFaaS CE allows ${limits.functions} functions; this deploy would make ${after.size} (${deployed.length} already deployed); remove some (faas-cli remove NAME) or use OpenFaaS Standard`,
    );
  }
  for (const name of names) {
    const labels = stack.functions[name]?.labels ?? {};
    for (const key of ['com.openfaas.scale.min', 'com.openfaas.scale.max']) {
      const n = Number(labels[key] ?? 0);
      if (n > limits.replicas) {
        throw new OrchestratorUsageError(
          `${name}: ${key}=${n} but OpenFaaS CE allows ${limits.replicas} replicas per function; set maxReplicas/replicas to ${limits.replicas} or less in cluster.yaml (or the stack.yml label)`,
        );
      }
    }
  }
}
