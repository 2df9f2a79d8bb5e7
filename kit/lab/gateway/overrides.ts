import { ensureRegistryImage } from '../registry/image.ts';
import { ensureStandinImage } from './image.ts';

/**
 * cluster.yaml's `openfaas` section for a lab: OpenFaaS's images cannot be pulled here, so the
 * gateway and faas-swarm services run the stand-in (which checks basic auth itself, hence no
 * basic-auth-plugin); Debian has no NATS Streaming or queue-worker, so async calls are not served;
 * prometheus/alertmanager are left out too. The registry is Debian's docker-registry. Every image is
 * sideloaded from this machine's docker to the manager.
 */
export async function labOpenfaasSection(log: (line: string) => void = () => {}) {
  const [standin, registry] = await Promise.all([ensureStandinImage(log), ensureRegistryImage(log)]);
  return {
    images: {
      gateway: standin,
      'faas-swarm': standin,
      'basic-auth-plugin': null,
      nats: null,
      'queue-worker': null,
      prometheus: null,
      alertmanager: null,
      registry,
    },
    sideload: [standin, registry],
  };
}
