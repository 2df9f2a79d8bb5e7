import type { ClusterSpec, NodeSpec } from '../inventory/schema.ts';
import type { Step } from '../plan/types.ts';
import type { DockerFacts } from '../docker/facts.ts';
import type { RegistryConfig } from '../docker/daemon-json.ts';
import { shq } from '../docker/shell.ts';
import { STACK_NAME } from '../openfaas/swarm-stack.ts';
import { parseNodeState, saveStateStep, type NodeStateFile } from '../nodes/state.ts';
import { OWNED_LABEL, REGISTRY_SERVICE } from './registry.ts';

/**
 * Ownership on a node: what edgefaas made there (its state file, the edgefaas.owned label on
 * services and secrets, functions on the stack's network) apart from what the user had. `up` works
 * in a swarm it did not create only when told (--adopt); `down` removes only its own things and
 * leaves a swarm only where edgefaas created it, or a node it joined.
 */
export interface OwnedFacts {
  state: NodeStateFile;
  /** What the running dockerd trusts (docker info), undefined when it is not running. */
  registryConfig?: RegistryConfig;
  /** On a manager: services and secrets labelled edgefaas.owned. */
  ownedServices: string[];
  ownedSecrets: string[];
  /** On a manager: services of stack "func", and function services with the networks they are on. */
  stackServices: string[];
  functions: Array<{ name: string; networks: string[] }>;
  /** The stack's functions network (id and name), when it exists. */
  functionsNetwork?: { id: string; name: string };
}

export class OwnershipError extends Error {
  override name = 'OwnershipError';
}

const FUNCTIONS_NETWORK = `${STACK_NAME}_functions`;

const PROBE = String.raw`if [ -e /var/lib/edgefaas/state.json ]; then echo "state=$(base64 -w0 /var/lib/edgefaas/state.json)"; fi
if timeout 20 docker info >/dev/null 2>&1; then
  echo "registry_config=$(docker info --format '{{json .RegistryConfig}}')"
  if [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ]; then
    docker service ls --filter label=${OWNED_LABEL} --format 'owned_service={{.Name}}'
    docker secret ls --filter label=${OWNED_LABEL} --format 'owned_secret={{.Name}}'
    docker service ls --filter label=com.docker.stack.namespace=${STACK_NAME} --format 'stack_service={{.Name}}'
    docker service ls -q --filter label=function=true | xargs -r docker service inspect --format 'function={{.Spec.Name}}|{{range .Spec.TaskTemplate.Networks}}{{.Target}},{{end}}'
    echo "functions_network=$(docker network inspect ${FUNCTIONS_NETWORK} --format '{{.Id}}' 2>/dev/null)"
  fi
fi`;

/** One read-only step (sudo: the state file is root's, docker may need root). */
export function ownershipProbeStep(): Step {
  return { title: 'read what edgefaas made here', command: PROBE, sudo: true, readOnly: true, timeoutMs: 60_000 };
}

export function parseOwnership(out: string, cluster: string, node: string): OwnedFacts {
  const many = (key: string) => out.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1).trim());
  const one = (key: string) => many(key)[0];
  const stateB64 = one('state');
  const reg = one('registry_config');
  let registryConfig: RegistryConfig | undefined;
  try {
    registryConfig = reg ? (JSON.parse(reg) as RegistryConfig) : undefined;
  } catch {
    registryConfig = undefined;
  }
  const netId = one('functions_network');
  return {
    state: parseNodeState(stateB64 === undefined ? undefined : Buffer.from(stateB64, 'base64').toString('utf8'), cluster, node),
    registryConfig,
    ownedServices: many('owned_service'),
    ownedSecrets: many('owned_secret'),
    stackServices: many('stack_service'),
    functions: many('function').map((l) => {
      const [name = '', nets = ''] = l.split('|');
      return { name, networks: nets.split(',').filter(Boolean) };
    }),
    functionsNetwork: netId ? { id: netId, name: FUNCTIONS_NETWORK } : undefined,
  };
}

/** Functions deployed through edgefaas' gateway: function services on the stack's network. */
export function ourFunctions(own: OwnedFacts): string[] {
  const net = own.functionsNetwork;
  if (!net) return [];
  return own.functions.filter((f) => f.networks.some((n) => n === net.id || n === net.name)).map((f) => f.name);
}

/** Swarm services and secrets edgefaas made, by its record and its label. */
export function ourServices(own: OwnedFacts): string[] {
  return [...new Set([...own.state.services, ...own.ownedServices, ...ourFunctions(own)])];
}
export function ourSecrets(own: OwnedFacts): string[] {
  return [...new Set([...own.state.secrets, ...own.ownedSecrets])];
}

export type SwarmVerdict =
  /** No swarm yet: up creates it. */
  | { kind: 'none' }
  /** edgefaas' swarm (or one the user let it adopt); `record` is the state to save when it changed. */
  | { kind: 'ours'; how: 'created' | 'adopted'; record?: NodeStateFile; note?: string };

export function lockedAdvice(node: NodeSpec, verb: 'up' | 'down'): OwnershipError {
  return new OwnershipError(
    `${node.name} (${node.address}) is a manager of a locked swarm (autolock is on and dockerd restarted): unlock it with: sudo docker swarm unlock ` +
      `(it asks for the unlock key; another unlocked manager shows it with: docker swarm unlock-key); then run: edgefaas ${verb}. ` +
      'Do not leave the swarm to get past this: that would throw away its services and secrets.',
  );
}

function list(what: string, names: string[]): string {
  return `${names.length} ${what}${names.length === 1 ? '' : 's'}${names.length ? `: ${names.join(', ')}` : ''}`;
}

/** What `up --adopt` adds to a swarm edgefaas did not create, in words. */
export function adoptionPlan(spec: ClusterSpec): string {
  const parts = [`the OpenFaaS stack "${STACK_NAME}" (services ${STACK_NAME}_*)`];
  if (spec.registry.mode === 'manager') parts.push(`the LAN registry service ${REGISTRY_SERVICE}`);
  parts.push('the secrets basic-auth-user and basic-auth-password', 'edgefaas.* labels on the nodes of cluster.yaml');
  const others = spec.nodes.slice(1).map((n) => n.name);
  if (others.length) parts.push(`${others.join(', ')} joining it where not in it yet`);
  return parts.join(', ');
}

/**
 * May `up` work in the swarm the first manager is in? Refuses (OwnershipError, before anything
 * changed on any node) a swarm edgefaas did not create unless `adopt`, a locked manager, a manager
 * that is a worker of another swarm, and an adoption that would take over the user's things.
 */
export function swarmVerdict(o: { spec: ClusterSpec; node: NodeSpec; facts: DockerFacts; own: OwnedFacts; adopt: boolean }): SwarmVerdict {
  const { spec, node, facts, own } = o;
  const st = facts.swarm.state;
  if (st === 'locked') throw lockedAdvice(node, 'up');
  if (st === 'inactive' || st === '') return { kind: 'none' };
  if (st !== 'active') {
    throw new OwnershipError(`${node.name} (${node.address}) has swarm state "${st}"; see: sudo docker info on it; edgefaas does not take a node out of a swarm it did not make`);
  }
  if (!facts.swarm.isManager) {
    throw new OwnershipError(
      `${node.name} (${node.address}) is the first manager in cluster.yaml but is a worker in a swarm; edgefaas leaves that swarm alone: ` +
        `promote it there (docker node promote on that swarm's manager) and run: edgefaas up --adopt, or take it out of that swarm yourself`,
    );
  }
  const clusterId = facts.swarm.clusterId;
  const recorded = own.state.swarm;
  if (recorded && recorded.clusterId === clusterId && recorded.how !== 'joined') return { kind: 'ours', how: recorded.how };

  const m = facts.manager!;
  const mine = new Set(ourServices(own));
  const userServices = m.services.map((s) => s.name).filter((n) => !mine.has(n));
  const userSecrets = m.secrets.filter((n) => !ourSecrets(own).includes(n));
  // A swarm made by edgefaas before it kept a state file: its labels are on it and nothing else is.
  const signs = m.nodes.some((n) => n.labels['edgefaas.node'] !== undefined) || m.stackHash !== '';
  const legacy = !recorded && signs && userServices.every((n) => n.startsWith(`${STACK_NAME}_`) || n === REGISTRY_SERVICE) && userSecrets.every((n) => n.startsWith('basic-auth-'));
  if (legacy) {
    return { kind: 'ours', how: 'created', record: { ...own.state, swarm: { clusterId, how: 'created' } } };
  }
  const found = `${list('service', userServices)}; ${list('secret', userSecrets)}`;
  if (!o.adopt) {
    throw new OwnershipError(
      `${node.name} (${node.address}) already manages a swarm edgefaas did not create (cluster ${clusterId.slice(0, 12)}: ${found}). Nothing was changed. ` +
        `To deploy OpenFaaS beside what runs there, run: edgefaas up --adopt; it adds ${adoptionPlan(spec)}; ` +
        'edgefaas down then removes only those and leaves the swarm, its services and secrets in place.',
    );
  }
  const clash = [
    ...userServices.filter((n) => n.startsWith(`${STACK_NAME}_`) || n === REGISTRY_SERVICE),
    ...userSecrets.filter((n) => n === 'basic-auth-user' || n === 'basic-auth-password'),
  ];
  if (clash.length) {
    throw new OwnershipError(
      `${node.name}: the swarm to adopt already has ${clash.join(', ')}, which edgefaas did not make and would replace; nothing was changed. ` +
        `Rename or remove them there (they may be another OpenFaaS), then run: edgefaas up --adopt`,
    );
  }
  return {
    kind: 'ours',
    how: 'adopted',
    record: { ...own.state, swarm: { clusterId, how: 'adopted' } },
    note: `adopted the swarm on ${node.name} (--adopt): adding ${adoptionPlan(spec)}; its ${found} stay as they are`,
  };
}

/** Saves `next` when it differs from what the node holds; returns the step or nothing. */
export function stateSteps(before: NodeStateFile, next: NodeStateFile, why: string): Step[] {
  return JSON.stringify(before) === JSON.stringify(next) ? [] : [saveStateStep(next, why)];
}

/** Removes named services (already known to be edgefaas'); quoting every name. */
export function removeServicesStep(names: string[], title: string): Step {
  return { title, command: `docker service rm ${names.map(shq).join(' ')} >/dev/null`, sudo: true };
}
