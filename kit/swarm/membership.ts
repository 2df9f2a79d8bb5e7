import type { NodeSpec } from '../inventory/schema.ts';
import type { DockerFacts, ManagerFacts } from '../docker/facts.ts';

export class SwarmMembershipError extends Error {
  override name = 'SwarmMembershipError';
}

export type Membership =
  | { kind: 'member'; swarmNodeId: string; swarmRole: string }
  | { kind: 'join' };

/**
 * Is this node already in our swarm (no-op), free to join, or in another swarm (refusal)?
 * "Ours" is the swarm the first manager leads: a node is in it when the manager lists its node id.
 */
export function membershipOf(node: NodeSpec, facts: DockerFacts, manager: ManagerFacts | undefined): Membership {
  const { state, nodeId } = facts.swarm;
  if (state === 'inactive' || state === '') return { kind: 'join' };
  const listed = manager?.nodes.find((n) => n.id === nodeId);
  if (listed && state === 'active') return { kind: 'member', swarmNodeId: nodeId, swarmRole: listed.role };
  if (state === 'locked') {
    throw new SwarmMembershipError(
      `${node.name} (${node.address}) is a manager of a locked swarm (autolock): unlock it with: sudo docker swarm unlock (another manager shows the key with: docker swarm unlock-key); then run: edgefaas up`,
    );
  }
  if (state === 'pending' || state === 'error') {
    throw new SwarmMembershipError(
      `${node.name} (${node.address}) has swarm state "${state}" (a join that did not finish); see: sudo docker info on it; if it belongs to no swarm you use, run on it: sudo docker swarm leave --force; then run: edgefaas up`,
    );
  }
  throw new SwarmMembershipError(
    `${node.name} (${node.address}) is in another swarm (node id ${nodeId}); edgefaas does not take a node out of a swarm it did not make: ` +
      `remove it from cluster.yaml, or take it out of that swarm yourself (docker swarm leave on it, once nothing there needs it); then run: edgefaas up`,
  );
}

/** Managers must be an odd number (1 or 3 for a small cluster): with 2, losing either stops the swarm. */
export function checkManagerCount(nodes: NodeSpec[]): void {
  const managers = nodes.filter((n) => n.role === 'manager').length;
  if (managers % 2 === 0) {
    throw new SwarmMembershipError(
      `cluster.yaml lists ${managers} managers; use 1 or 3 (with an even number, losing one manager stops the swarm): edit the nodes' role, then run: edgefaas up`,
    );
  }
}
