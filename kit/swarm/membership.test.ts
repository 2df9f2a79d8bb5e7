import { describe, expect, it } from 'vitest';
import { NodeSpec } from '../inventory/schema.ts';
import type { DockerFacts, ManagerFacts } from '../docker/facts.ts';
import { checkManagerCount, membershipOf } from './membership.ts';

const node = NodeSpec.parse({ name: 'pi-2', address: '10.0.0.12' });
const facts = (state: string, nodeId = ''): DockerFacts => ({
  arch: 'armv7l', userland: 'armhf', os: 'raspbian', serviceManager: 'systemd', dockerInstalled: true, dockerAptRepo: false, dockerRunning: true,
  userInDockerGroup: true, ipvs: true, images: [], swarm: { state, nodeId, isManager: false, clusterId: '' }, api: { api: '1.41', minApi: '1.12' },
});
const manager: ManagerFacts = {
  nodes: [{ id: 'w1', hostname: 'pi-2', role: 'worker', state: 'ready', availability: 'active', addr: '10.0.0.12', arch: 'armv7l', labels: {} }],
  services: [], secrets: [], stackHash: '',
};

describe('membershipOf', () => {
  it('joins a node that is in no swarm', () => {
    expect(membershipOf(node, facts('inactive'), manager)).toEqual({ kind: 'join' });
  });

  it('leaves a node already in this swarm alone', () => {
    expect(membershipOf(node, facts('active', 'w1'), manager)).toEqual({ kind: 'member', swarmNodeId: 'w1', swarmRole: 'worker' });
  });

  it('refuses a node in another swarm and says how to fix it', () => {
    expect(() => membershipOf(node, facts('active', 'zz9'), manager)).toThrow(
      'pi-2 (10.0.0.12) is in another swarm (node id zz9); edgefaas does not take a node out of a swarm it did not make: remove it from cluster.yaml, or take it out of that swarm yourself (docker swarm leave on it, once nothing there needs it); then run: edgefaas up',
    );
  });

  it('refuses a node stuck in a pending join', () => {
    expect(() => membershipOf(node, facts('pending', 'w1'), manager)).toThrow('pi-2 (10.0.0.12) has swarm state "pending"');
    // A locked manager is unlocked, never told to leave (that would throw its swarm away).
    expect(() => membershipOf(node, facts('locked', 'w1'), manager)).toThrow(/locked swarm \(autolock\): unlock it with: sudo docker swarm unlock/);
    expect(() => membershipOf(node, facts('locked', 'w1'), manager)).not.toThrow(/leave/);
  });
});

describe('checkManagerCount', () => {
  it('accepts one or three managers and refuses two', () => {
    const n = (name: string, role: 'manager' | 'worker') => NodeSpec.parse({ name, address: `${name}.lan`, role });
    expect(() => checkManagerCount([n('a', 'manager'), n('b', 'worker')])).not.toThrow();
    expect(() => checkManagerCount([n('a', 'manager'), n('b', 'manager'), n('c', 'manager')])).not.toThrow();
    expect(() => checkManagerCount([n('a', 'manager'), n('b', 'manager')])).toThrow(/lists 2 managers; use 1 or 3/);
  });
});
