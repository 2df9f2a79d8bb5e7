import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '../inventory/schema.ts';
import type { DockerFacts } from '../docker/facts.ts';
import { emptyState } from '../nodes/state.ts';
import { ourFunctions, parseOwnership, swarmVerdict, type OwnedFacts } from './ownership.ts';
import { teardownSteps } from './down.ts';

const spec = ClusterSpec.parse({ name: 'c', nodes: [{ name: 'pi-1', address: '10.0.0.1', role: 'manager' }, { name: 'pi-2', address: '10.0.0.2' }] });
const node = spec.nodes[0]!;

function facts(o: { state?: string; services?: string[]; secrets?: string[]; labels?: Record<string, string>; stackHash?: string } = {}): DockerFacts {
  return {
    arch: 'x86_64', userland: 'amd64', api: { api: '1.41', minApi: '1.12' }, os: 'debian', serviceManager: 'sysv', dockerInstalled: true, dockerAptRepo: false, dockerRunning: true,
    userInDockerGroup: true, ipvs: false, images: [],
    swarm: { state: o.state ?? 'active', nodeId: 'n1', isManager: true, clusterId: 'cluster-abc' },
    manager: {
      nodes: [{ id: 'n1', hostname: 'pi-1', role: 'manager', state: 'ready', availability: 'active', addr: '10.0.0.1', arch: 'x86_64', labels: o.labels ?? {} }],
      services: (o.services ?? []).map((name) => ({ name, replicas: '1/1', image: 'x' })),
      secrets: o.secrets ?? [],
      stackHash: o.stackHash ?? '',
    },
  };
}
const own = (o: Partial<OwnedFacts> = {}): OwnedFacts => ({ state: emptyState('c'), ownedServices: [], ownedSecrets: [], stackServices: [], functions: [], ...o });

describe('swarm ownership', () => {
  it("refuses the user's swarm without --adopt, naming what is there and what --adopt adds", () => {
    const f = facts({ services: ['web'], secrets: ['db-pass'] });
    expect(() => swarmVerdict({ spec, node, facts: f, own: own(), adopt: false })).toThrow(
      /^pi-1 \(10\.0\.0\.1\) already manages a swarm edgefaas did not create \(cluster cluster-abc: 1 service: web; 1 secret: db-pass\)\. Nothing was changed\. To deploy OpenFaaS beside what runs there, run: edgefaas up --adopt; it adds the OpenFaaS stack "func" \(services func_\*\), the LAN registry service edgefaas-registry, the secrets basic-auth-user and basic-auth-password, edgefaas\.\* labels on the nodes of cluster\.yaml, pi-2 joining it where not in it yet;/,
    );
    const v = swarmVerdict({ spec, node, facts: f, own: own(), adopt: true });
    expect(v).toMatchObject({ kind: 'ours', how: 'adopted', record: { swarm: { clusterId: 'cluster-abc', how: 'adopted' } } });
  });

  it('knows its own swarm by its record, and one made before the record by its labels with nothing foreign in it', () => {
    const recorded = own({ state: { ...emptyState('c'), swarm: { clusterId: 'cluster-abc', how: 'created' } } });
    expect(swarmVerdict({ spec, node, facts: facts({ services: ['web'] }), own: recorded, adopt: false })).toEqual({ kind: 'ours', how: 'created' });
    const legacy = facts({ services: ['func_gateway', 'edgefaas-registry'], secrets: ['basic-auth-user'], labels: { 'edgefaas.node': 'pi-1' } });
    expect(swarmVerdict({ spec, node, facts: legacy, own: own(), adopt: false })).toMatchObject({ kind: 'ours', how: 'created' });
    expect(() => swarmVerdict({ spec, node, facts: { ...legacy, manager: { ...legacy.manager!, services: [...legacy.manager!.services, { name: 'web', replicas: '', image: '' }] } }, own: own(), adopt: false })).toThrow(/did not create/);
    expect(swarmVerdict({ spec, node, facts: facts({ state: 'inactive' }), own: own(), adopt: false })).toEqual({ kind: 'none' });
  });

  it('will not adopt a swarm whose func_* services or basic-auth secrets are not its own', () => {
    expect(() => swarmVerdict({ spec, node, facts: facts({ services: ['func_gateway'] }), own: own(), adopt: true })).toThrow(
      /already has func_gateway, which edgefaas did not make and would replace; nothing was changed/,
    );
  });

  it('tells a locked manager to unlock, never to leave', () => {
    const err = (() => {
      try {
        swarmVerdict({ spec, node, facts: facts({ state: 'locked' }), own: own(), adopt: true });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(err).toContain('unlock it with: sudo docker swarm unlock');
    expect(err).not.toMatch(/leave --force/);
  });

  it("down's plan names only edgefaas' functions, services and secrets, each quoted", () => {
    const o = parseOwnership(
      ['function=fn-a|netid1,', 'function=user-fn|othernet,', 'functions_network=netid1', 'owned_secret=basic-auth-user', `state=${Buffer.from('{"services":["func_gateway"]}').toString('base64')}`].join('\n'),
      'c',
      'pi-1',
    );
    expect(ourFunctions(o)).toEqual(['fn-a']);
    const steps = teardownSteps({ functions: ourFunctions(o), stack: true, registry: false, secrets: ["it's"] });
    expect(steps.map((s) => s.command).join('\n')).not.toMatch(/user-fn|label=function=true|edgefaas-registry/);
    expect(steps.at(-1)!.command).toContain(`for s in 'it'\\''s'; do`);
  });
});
