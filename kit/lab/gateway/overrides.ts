import { ensureRegistryImage } from '../registry/image.ts';
import { ensureStandinImage } from './image.ts';
import { ensureMonitoringImages } from './monitoring/image.ts';

/**
 * cluster.yaml's `openfaas` section for a lab: OpenFaaS's images cannot be pulled here, so the
 * gateway and faas-swarm services run the stand-in (which checks basic auth itself, hence no
 * basic-auth-plugin); Debian has no NATS Streaming or queue-worker, so those are left out, the stack
 * then gives the gateway no NATS settings, and async calls get the real gateway's 404. Prometheus and Alertmanager are the real ones, from Debian's packages, and the
 * registry is Debian's docker-registry. Every image is sideloaded from this machine's docker.
 */
export async function labOpenfaasSection(log: (line: string) => void = () => {}) {
  const [standin, registry, monitoring] = await Promise.all([ensureStandinImage(log), ensureRegistryImage(log), ensureMonitoringImages(log)]);
  return {
    images: {
      gateway: standin,
      'faas-swarm': standin,
      'basic-auth-plugin': null,
      nats: null,
      'queue-worker': null,
      prometheus: monitoring.prometheus,
      alertmanager: monitoring.alertmanager,
      registry,
    },
    sideload: [standin, registry, monitoring.prometheus, monitoring.alertmanager],
  };
}
