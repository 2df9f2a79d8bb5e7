/**
 * Upstream publishes the gateway, basic-auth-plugin and faas-swarm per arch (-armhf, -arm64 tags);
 * nats-streaming, queue-worker, prometheus and alertmanager keep one tag (as upstream's armhf and
 * arm64 stack files do). The userland of the node running the control plane picks the row, as it
 * picks the function's platform (a 64-bit kernel under 32-bit Raspberry Pi OS runs -armhf); `uname -m`
 * only where there is no dpkg. ARMv6 has no row: the -armhf images are ARMv7.
 */
export const ARCH_VARIANT_SERVICES = ['gateway', 'basic-auth-plugin', 'faas-swarm'] as const;

export const STACK_ARCHES: ReadonlyArray<{ machine: string; userland: string; tagSuffix: string }> = [
  { machine: 'x86_64', userland: 'amd64', tagSuffix: '' },
  { machine: 'armv7l', userland: 'armhf', tagSuffix: '-armhf' },
  { machine: 'aarch64', userland: 'arm64', tagSuffix: '-arm64' },
];

import { noImageReason } from '../nodes/arch.ts';

/** Docker's registry image for users' clusters (the lab overrides it with Debian's docker-registry). */
export const DEFAULT_REGISTRY_IMAGE = 'registry:2.8.3';

export class UnsupportedArchError extends Error {
  override name = 'UnsupportedArchError';
}

export function tagSuffixFor(machine: string, node: string, userland: string | null = null): string {
  if (machine === 'armv6l') throw new UnsupportedArchError(noImageReason(node, machine, userland));
  const row = userland ? STACK_ARCHES.find((r) => r.userland === userland) : STACK_ARCHES.find((r) => r.machine === machine);
  if (!row) {
    throw new UnsupportedArchError(
      `${node} is ${userland ?? machine}; OpenFaaS images exist for ${STACK_ARCHES.map((r) => r.machine).join(', ')}: set openfaas.images in cluster.yaml, then run: edgefaas up`,
    );
  }
  return row.tagSuffix;
}
