import type { ClusterSpec } from '../inventory/schema.ts';
import { doctor, type NodeReport } from '../nodes/index.ts';
import type { SshPool } from '../ssh/index.ts';
import type { NodeArch } from './coverage.ts';
import { clusterManagerAddress, hostPort } from '../nodes/address.ts';
import { platformByDebianArch, type ImagePlatform, PLATFORMS } from './platforms.ts';

export class NodeArchError extends Error {
  override name = 'NodeArchError';
}

/** Each node's userland architecture, as the doctor reads it (dpkg --print-architecture). */
export async function clusterArchs(spec: ClusterSpec, pool: SshPool): Promise<NodeArch[]> {
  return nodeArchs(await doctor(spec, pool));
}

/** The architectures in doctor's reports; a node without one fails. */
export function nodeArchs(reports: NodeReport[]): NodeArch[] {
  return reports.map((r) => {
    const arch = r.facts?.userlandArch;
    if (!arch) {
      throw new NodeArchError(
        `cannot tell which image node ${r.node} (${r.address}) needs: ${r.error ?? 'no dpkg --print-architecture'}; run: edgefaas doctor --node ${r.node}`,
      );
    }
    return { node: r.node, arch };
  });
}

/** The platforms to build: one per distinct node architecture, in the table's order. */
export function platformsFor(nodes: NodeArch[]): ImagePlatform[] {
  const wanted = new Set(nodes.map((n) => platformByDebianArch(n.arch, `node ${n.node}`).debianArch));
  return PLATFORMS.filter((p) => wanted.has(p.debianArch));
}

/**
 * Where the control machine pushes and nodes pull: the external registry, or the manager's LAN one at
 * the manager's resolved address (the one `up` lists in every node's insecure-registries).
 */
export async function registryAddress(spec: ClusterSpec, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (spec.registry.mode === 'external') return spec.registry.address.split('/')[0];
  if (spec.registry.mode === 'manager') {
    const m = await clusterManagerAddress(spec, env);
    return hostPort(m.ip, spec.registry.port);
  }
  return undefined;
}
