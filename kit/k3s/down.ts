import { phaseOver, probeAll, runOutcome, stepsOn, type NodeRun } from '../plan/node-steps.ts';
import type { DownDeps, DownResult } from '../orchestrator/contract.ts';
import { FUNCTIONS_NS, OPENFAAS_NS } from '../openfaas/k8s-manifests.ts';
import { parseK3sFacts, probeK3sStep, type K3sFacts } from './probe.ts';
import { removeOpenfaasStep, uninstallStep } from './steps.ts';

/** OpenFaaS's namespaces go (their objects with them); with purge, k3s's uninstall scripts run, agents first. */
export async function k3sDown(d: DownDeps): Promise<DownResult> {
  const states = d.spec.nodes.map((spec): NodeRun & { facts?: K3sFacts } => ({ spec, changes: [] }));
  type S = (typeof states)[number];
  const run = stepsOn(d);
  const phase = phaseOver(d, d.spec.ssh.concurrency);
  await probeAll(d, phase, states, probeK3sStep(), parseK3sFacts);
  const server = states.find((s) => !s.error && s.facts?.serverActive);
  if (server) await phase([server], (s) => run(s, [removeOpenfaasStep([FUNCTIONS_NS, OPENFAAS_NS], [])]));
  if (d.purge) {
    const installed = (s: S) => !s.error && Boolean(s.facts?.k3sVersion);
    await phase(states.filter((s) => installed(s) && s.spec.role !== 'manager'), (s) => run(s, [uninstallStep('agent')]));
    for (const s of states.filter((x) => installed(x) && x.spec.role === 'manager')) await phase([s], (x) => run(x, [uninstallStep('server')]));
  }
  return runOutcome(states);
}
