import type { ClusterSpec, NodeSpec } from '../inventory/schema.ts';
import type { Runner, Step } from '../plan/types.ts';
import { parseDockerFacts, probeDockerStep, type DockerFacts } from '../docker/facts.ts';
import { forEachNode } from '../ssh/parallel.ts';
import { STACK_NAME } from '../openfaas/swarm-stack.ts';
import { REGISTRY_HTPASSWD_SECRET, REGISTRY_SERVICE } from './registry.ts';
import { leaveSwarmStep } from './steps.ts';
import { execSteps } from './exec.ts';
import type { UpProgress } from './up.ts';

export interface SwarmDownDeps {
  spec: ClusterSpec;
  runner(node: NodeSpec): Promise<Runner>;
  dryRun: boolean;
  log(line: string): void;
  /** Rows for a progress display (as swarmUp's): when given, step titles go here, not to log. */
  progress?: UpProgress;
}

export interface SwarmDownResult {
  ok: boolean;
  changed: boolean;
  nodes: Array<{ node: string; ok: boolean; changes: string[]; error?: string }>;
}

/** Functions, the stack, its secrets and the registry service go; then every node leaves. */
export function teardownSteps(): Step[] {
  return [
    {
      title: 'remove deployed functions',
      command: "docker service ls -q --filter label=function=true | xargs -r docker service rm >/dev/null",
      sudo: true,
    },
    { title: `remove the OpenFaaS stack "${STACK_NAME}"`, command: `docker stack rm ${STACK_NAME} >/dev/null 2>&1 || true`, sudo: true },
    { title: `remove the LAN registry service`, command: `docker service rm ${REGISTRY_SERVICE} >/dev/null 2>&1 || true`, sudo: true },
    {
      title: 'wait for the services to go',
      command:
        `i=0; while [ -n "$(docker service ls -q --filter label=com.docker.stack.namespace=${STACK_NAME})" ]; do ` +
        `i=$((i+1)); [ $i -ge 60 ] && { echo "stack ${STACK_NAME} still has services after 60s" >&2; exit 1; }; sleep 1; done`,
      sudo: true,
      timeoutMs: 90_000,
    },
    {
      title: 'remove the basic-auth secrets',
      command:
        `for s in basic-auth-user basic-auth-password ${REGISTRY_HTPASSWD_SECRET}; do ` +
        'if docker secret inspect "$s" >/dev/null 2>&1; then i=0; until docker secret rm "$s" >/dev/null 2>&1; do ' +
        'i=$((i+1)); [ $i -ge 30 ] && { echo "secret $s is still in use" >&2; exit 1; }; sleep 1; done; fi; done',
      sudo: true,
      timeoutMs: 60_000,
    },
  ];
}

export async function swarmDown(d: SwarmDownDeps): Promise<SwarmDownResult> {
  const states = d.spec.nodes.map((spec) => ({ spec, runner: undefined as Runner | undefined, facts: undefined as DockerFacts | undefined, changes: [] as string[], error: undefined as Error | undefined }));
  type S = (typeof states)[number];
  const run = (s: S, steps: Step[]): Promise<string[]> =>
    execSteps(s.runner!, s.spec.name, steps, {
      start: (title) => (d.progress ? d.progress.start(s.spec.name, title) : d.log(`[${s.spec.name}] ${title}`)),
      changed: (title) => {
        s.changes.push(title);
        d.progress?.done(s.spec.name, title, 'changed');
      },
    });
  const phase = async (list: S[], work: (s: S) => Promise<unknown>) => {
    const out = await forEachNode(list.map((s) => ({ name: s.spec.name, s })), d.spec.ssh.concurrency, ({ s }) => work(s));
    out.forEach((o, i) => {
      if (!o.ok && !list[i]!.error) {
        d.progress?.fail(list[i]!.spec.name, o.error);
        list[i]!.error = o.error;
      }
    });
  };
  await phase(states, async (s) => {
    d.progress?.start(s.spec.name, 'connect and look around (read-only)');
    s.runner = await d.runner(s.spec);
    const [out] = await run(s, [probeDockerStep()]);
    s.facts = parseDockerFacts(out ?? '');
    d.progress?.done(s.spec.name, 'connect and look around (read-only)', 'unchanged');
  });
  const inSwarm = (s: S) => !s.error && s.facts?.swarm.state === 'active';
  for (const s of states.filter((x) => !x.error && !inSwarm(x))) d.progress?.done(s.spec.name, 'not in a swarm', 'unchanged');
  const leader = states.find((s) => inSwarm(s) && s.facts!.swarm.isManager);
  if (leader) {
    const m = leader.facts!.manager!;
    const has = m.services.some((x) => x.name.startsWith(`${STACK_NAME}_`) || x.name === REGISTRY_SERVICE) || m.secrets.some((x) => x.startsWith('basic-auth-'));
    if (has) await phase([leader], (s) => run(s, teardownSteps()));
  }
  // Workers first, in parallel; managers last (the last one needs --force).
  await phase(states.filter((s) => inSwarm(s) && !s.facts!.swarm.isManager), (s) => run(s, [leaveSwarmStep(false)]));
  for (const s of states.filter((x) => inSwarm(x) && x.facts!.swarm.isManager)) await phase([s], (x) => run(x, [leaveSwarmStep(true)]));

  const nodes = states.map((s) => ({ node: s.spec.name, ok: !s.error, changes: s.changes, ...(s.error ? { error: s.error.message } : {}) }));
  return { ok: nodes.every((n) => n.ok), changed: nodes.some((n) => n.changes.length > 0), nodes };
}
