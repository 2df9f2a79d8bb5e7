/**
 * Upstream publishes the gateway, basic-auth-plugin and faas-swarm per arch (-armhf, -arm64 tags);
 * nats-streaming, queue-worker, prometheus and alertmanager keep one tag (as upstream's armhf and
 * arm64 stack files do). One row per `uname -m` of the node running the control plane.
 */
export const ARCH_VARIANT_SERVICES = ['gateway', 'basic-auth-plugin', 'faas-swarm'] as const;

export const STACK_ARCHES: ReadonlyArray<{ machine: string; tagSuffix: string }> = [
  { machine: 'x86_64', tagSuffix: '' },
  { machine: 'armv7l', tagSuffix: '-armhf' },
  { machine: 'armv6l', tagSuffix: '-armhf' },
  { machine: 'aarch64', tagSuffix: '-arm64' },
];

/** Docker's registry image for users' clusters (the lab overrides it with Debian's docker-registry). */
export const DEFAULT_REGISTRY_IMAGE = 'registry:2.8.3';

export class UnsupportedArchError extends Error {
  override name = 'UnsupportedArchError';
}

export function tagSuffixFor(machine: string, node: string): string {
  const row = STACK_ARCHES.find((r) => r.machine === machine);
  if (!row) {
    throw new UnsupportedArchError(
      `${node} is ${machine}; OpenFaaS images exist for ${STACK_ARCHES.map((r) => r.machine).join(', ')}: set openfaas.images in cluster.yaml, then run: edgefaas up`,
    );
  }
  return row.tagSuffix;
}
