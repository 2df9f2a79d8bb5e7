import type { Step } from '../plan/types.ts';
import { parseDockerFacts, probeDockerStep, type DockerFacts } from '../docker/facts.ts';
import { STACK_NAME } from '../openfaas/swarm-stack.ts';
import { REGISTRY_SERVICE } from './registry.ts';
import { leaveSwarmStep, promoteStep } from './steps.ts';
import { shq } from '../docker/shell.ts';
import { keysNeedingRestart } from '../docker/daemon-json.ts';
import { DAEMON_JSON, waitForDockerStep } from '../docker/install.ts';
import { emptyState, removeStateStep, type NodeStateFile } from '../nodes/state.ts';
import { lockedAdvice, ourFunctions, ourSecrets, ourServices, ownershipProbeStep, parseOwnership, removeServicesStep, stateSteps, swarmVerdict, type OwnedFacts } from './ownership.ts';
import { phaseOver, runOutcome, stepsOn, type NodeRun } from '../plan/node-steps.ts';
import type { DownDeps, DownResult } from '../orchestrator/contract.ts';

/**
 * What edgefaas made in the swarm goes: the functions deployed through its gateway, stack "func"
 * (when it deployed it), its registry service and its secrets. Nothing else, so a user's own
 * services, secrets and configs in an adopted swarm stay.
 */
export function teardownSteps(o: { functions: string[]; stack: boolean; registry: boolean; secrets: string[] }): Step[] {
  const steps: Step[] = [];
  if (o.functions.length) steps.push(removeServicesStep(o.functions, `remove deployed functions (${o.functions.join(', ')})`));
  if (o.stack) steps.push({ title: `remove the OpenFaaS stack "${STACK_NAME}"`, command: `docker stack rm ${STACK_NAME} >/dev/null 2>&1 || true`, sudo: true });
  if (o.registry) steps.push({ title: `remove the LAN registry service`, command: `docker service rm ${REGISTRY_SERVICE} >/dev/null 2>&1 || true`, sudo: true });
  if (o.stack) {
    steps.push({
      title: 'wait for the services to go',
      command:
        `i=0; while [ -n "$(docker service ls -q --filter label=com.docker.stack.namespace=${STACK_NAME})" ]; do ` +
        `i=$((i+1)); [ $i -ge 60 ] && { echo "stack ${STACK_NAME} still has services after 60s" >&2; exit 1; }; sleep 1; done`,
      sudo: true,
      timeoutMs: 90_000,
    });
  }
  if (o.secrets.length) {
    steps.push({
      title: `remove the secrets edgefaas made (${o.secrets.join(', ')})`,
      command:
        `for s in ${o.secrets.map(shq).join(' ')}; do ` +
        'if docker secret inspect "$s" >/dev/null 2>&1; then i=0; until docker secret rm "$s" >/dev/null 2>&1; do ' +
        'i=$((i+1)); [ $i -ge 30 ] && { echo "secret $s is still in use" >&2; exit 1; }; sleep 1; done; fi; done',
      sudo: true,
      timeoutMs: 60_000,
    });
  }
  return steps;
}

/** The edgefaas.* labels up put on nodes of a swarm it adopted. */
function labelRemovalSteps(nodes: Array<{ id: string; hostname: string; labels: Record<string, string> }>): Step[] {
  return nodes.flatMap((n) => {
    const keys = Object.keys(n.labels).filter((k) => k.startsWith('edgefaas.'));
    if (!keys.length) return [];
    return [{ title: `remove the edgefaas.* labels of ${n.hostname}`, command: `docker node update ${keys.map((k) => `--label-rm ${shq(k)}`).join(' ')} ${shq(n.id)} >/dev/null`, sudo: true }];
  });
}

/** Puts back the daemon.json the node had before edgefaas first changed it, and has dockerd apply it. */
function restoreDaemonJsonSteps(facts: DockerFacts, original: string | null): Step[] {
  const now = facts.daemonJson ?? null;
  if (now === original) return [];
  const steps: Step[] = [
    original === null
      ? { title: `remove ${DAEMON_JSON} (there was none before edgefaas)`, command: `rm -f ${DAEMON_JSON}`, sudo: true }
      : { title: `restore the original ${DAEMON_JSON}`, command: `cat > ${DAEMON_JSON}.edgefaas-new && mv ${DAEMON_JSON}.edgefaas-new ${DAEMON_JSON}`, stdin: original, sudo: true },
  ];
  if (facts.dockerRunning) {
    const restartFor = keysNeedingRestart(now, original);
    steps.push(
      restartFor.length
        ? {
            title: `restart docker to apply the restored ${DAEMON_JSON} (${restartFor.join(', ')} not reloaded by SIGHUP): running containers restart`,
            command: facts.serviceManager === 'systemd' ? 'systemctl restart docker' : 'service docker restart',
            sudo: true,
            timeoutMs: 120_000,
          }
        : { title: 'reload docker (restored daemon.json)', command: 'kill -HUP "$(cat /var/run/docker.pid)"', sudo: true },
      waitForDockerStep(),
    );
  }
  return steps;
}

interface NodeState extends NodeRun {
  facts?: DockerFacts;
  own?: OwnedFacts;
}

export async function swarmDown(d: DownDeps): Promise<DownResult> {
  const states = d.spec.nodes.map((spec): NodeState => ({ spec, changes: [] }));
  type S = NodeState;
  const run = stepsOn(d);
  const phase = phaseOver(d, d.spec.ssh.concurrency);
  await phase(states, async (s) => {
    d.progress?.start(s.spec.name, 'connect and look around (read-only)');
    s.runner = await d.runner(s.spec);
    const [out, owned] = await run(s, [probeDockerStep(), ownershipProbeStep()]);
    s.facts = parseDockerFacts(out ?? '');
    s.own = parseOwnership(owned ?? '', d.spec.name, s.spec.name);
    d.progress?.done(s.spec.name, 'connect and look around (read-only)', 'unchanged');
  });
  const save = async (s: S, next: NodeStateFile, why: string) => {
    const steps = stateSteps(s.own!.state, next, why);
    if (steps.length) await run(s, steps);
    s.own!.state = next;
  };
  for (const s of states.filter((x) => !x.error && x.facts!.swarm.state === 'locked')) {
    d.progress?.fail(s.spec.name, (s.error = lockedAdvice(s.spec, 'down')));
  }
  const inSwarm = (s: S) => !s.error && s.facts?.swarm.state === 'active';
  for (const s of states.filter((x) => !x.error && !inSwarm(x))) d.progress?.done(s.spec.name, 'not in a swarm', 'unchanged');
  const leader = states.find((s) => inSwarm(s) && s.facts!.swarm.isManager);
  // Whose swarm is it? edgefaas' own (created, also one made before the state file existed), adopted, or the user's.
  let how: 'created' | 'adopted' | undefined;
  if (leader) {
    const own = leader.own!;
    const m = leader.facts!.manager!;
    const rec = own.state.swarm;
    if (rec && rec.clusterId === leader.facts!.swarm.clusterId && rec.how !== 'joined') how = rec.how;
    else if (!rec) {
      try {
        const v = swarmVerdict({ spec: d.spec, node: leader.spec, facts: leader.facts!, own, adopt: false });
        if (v.kind === 'ours') how = v.how;
      } catch {
        how = undefined; // the user's swarm: nothing of edgefaas in it to remove
      }
    }
    if (!how) d.progress?.done(leader.spec.name, 'the swarm is not edgefaas\'s: left as it is', 'unchanged');
    else {
      const legacy = how === 'created' && !rec;
      const services = ourServices(own);
      const stack = legacy ? m.services.some((x) => x.name.startsWith(`${STACK_NAME}_`)) : services.some((n) => n.startsWith(`${STACK_NAME}_`));
      const registry = legacy ? m.services.some((x) => x.name === REGISTRY_SERVICE) : services.includes(REGISTRY_SERVICE);
      const secrets = legacy ? m.secrets.filter((x) => x === 'basic-auth-user' || x === 'basic-auth-password') : ourSecrets(own).filter((x) => m.secrets.includes(x));
      const steps = [
        ...teardownSteps({ functions: ourFunctions(own), stack, registry, secrets }),
        ...(how === 'adopted' ? labelRemovalSteps(m.nodes) : []),
      ];
      await phase([leader], async (s) => {
        await run(s, steps);
        // An adopted swarm is the user's again: a later up asks for --adopt anew.
        const swarm = how === 'adopted' ? undefined : s.own!.state.swarm;
        await save(s, { ...s.own!.state, swarm, services: [], secrets: [] }, 'that the stack, registry and secrets are gone');
      });
    }
  }
  // A node leaves only a swarm edgefaas created, or one edgefaas joined it to. Workers first, in
  // parallel; managers last (the last one of a swarm edgefaas created needs --force).
  const leaves = (s: S) => inSwarm(s) && (how === 'created' || s.own!.state.swarm?.how === 'joined');
  /** Leaving and recording it are one step (one change on the node), the record written only once the node left. */
  const leave = async (s: S, force: boolean) => {
    const next = { ...s.own!.state, swarm: undefined };
    const [record] = stateSteps(s.own!.state, next, 'that this node left the swarm');
    const step = leaveSwarmStep(force);
    await run(s, [record ? { ...step, command: `${step.command} && ${record.command}`, stdin: record.stdin } : step]);
    s.own!.state = next;
  };
  await phase(states.filter((s) => leaves(s) && !s.facts!.swarm.isManager), (s) => leave(s, false));
  for (const s of states.filter((x) => leaves(x) && x.facts!.swarm.isManager)) {
    await phase([s], async (x) => {
      // A manager edgefaas added to the user's swarm is demoted first: the user's swarm keeps its quorum.
      if (how !== 'created' && leader && x !== leader) await run(leader, [promoteStep(x.facts!.swarm.nodeId, x.spec.name, 'worker')]);
      await leave(x, how === 'created');
    });
  }
  for (const s of states.filter((x) => !x.error && !leaves(x) && x.own!.state.swarm && x !== leader && how !== 'created')) {
    d.progress?.done(s.spec.name, 'stays in the swarm (edgefaas did not put it there)', 'unchanged');
  }
  // --purge: the original daemon.json back, and no record left where nothing of edgefaas is.
  if (d.purge) {
    await phase(states.filter((s) => !s.error), async (s) => {
      const rec = s.own!.state.files[DAEMON_JSON];
      if (rec) await run(s, restoreDaemonJsonSteps(s.facts!, rec.original));
      const rest = { ...s.own!.state, files: {}, daemonJsonApplied: undefined };
      if (rest.swarm || rest.services.length || rest.secrets.length) await save(s, rest, 'what is still edgefaas\'s');
      else if (JSON.stringify(s.own!.state) !== JSON.stringify(emptyState(d.spec.name))) await run(s, [removeStateStep()]);
    });
  }

  return runOutcome(states);
}
