import type { Step } from '../plan/types.ts';
import { shq } from '../docker/shell.ts';

export const REGISTRY_SERVICE = 'edgefaas-registry';
/** On every swarm object edgefaas creates, so down tells its own from the user's. */
export const OWNED_LABEL = 'edgefaas.owned';

/**
 * The LAN registry: a Swarm service pinned to the gateway node (its data in a named volume there),
 * reachable at MANAGER:PORT by every node. Without IPVS its port is published in host mode.
 */
export function registryServiceStep(o: { image: string; port: number; ipvs: boolean }): Step {
  const publish = `published=${o.port},target=5000${o.ipvs ? '' : ',mode=host'}`;
  return {
    title: `start the LAN registry on port ${o.port} (${o.image})`,
    command: [
      'docker service create --detach --no-resolve-image',
      `--name ${REGISTRY_SERVICE}`,
      `--label ${OWNED_LABEL}=true`,
      "--constraint 'node.labels.edgefaas.gateway == true'",
      `--publish ${publish}`,
      ...(o.ipvs ? [] : ['--endpoint-mode dnsrr']),
      `--mount type=volume,source=${REGISTRY_SERVICE},target=/var/lib/registry`,
      '--restart-condition any',
      shq(o.image),
    ].join(' '),
    sudo: true,
  };
}

export function waitForRegistryStep(port: number, seconds = 60): Step {
  return {
    title: `wait for the registry on 127.0.0.1:${port}`,
    command:
      `i=0; until perl -MIO::Socket::INET -e 'IO::Socket::INET->new("127.0.0.1:${port}") or exit 1'; do ` +
      `i=$((i+1)); [ $i -ge ${seconds} ] && { echo "registry did not listen on 127.0.0.1:${port} within ${seconds}s; see: docker service ps ${REGISTRY_SERVICE}" >&2; exit 1; }; sleep 1; done`,
    sudo: true,
    timeoutMs: (seconds + 15) * 1000,
  };
}
