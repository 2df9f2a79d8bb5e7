/**
 * Which Docker API version faas-swarm speaks. Its compose file pins DOCKER_API_VERSION 1.30, the API its
 * client was written against; Docker 29 refuses clients below 1.44 ("client version 1.30 is too old").
 * So the provider keeps 1.30 where the manager's daemon accepts it and otherwise speaks the daemon's
 * minimum, the version nearest to what its client knows.
 */
export const PROVIDER_API_PIN = '1.30';

export interface DockerApiRange {
  /** The daemon's API version (docker version: Server.APIVersion). */
  api: string;
  /** The oldest client API it accepts (Server.MinAPIVersion). */
  minApi: string;
}

export class DockerApiError extends Error {
  override name = 'DockerApiError';
}

/** "1.45|1.24" (the probe's line) -> the range; null when the daemon did not answer. */
export function parseApiRange(line: string | undefined): DockerApiRange | null {
  const m = /^(\d+\.\d+)\|(\d+\.\d+)$/.exec((line ?? '').trim());
  return m ? { api: m[1]!, minApi: m[2]! } : null;
}

export function compareApi(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

export interface ProviderApiChoice {
  version: string;
  /** What doctor and up say they will do. */
  reason: string;
}

export function providerApiVersion(range: DockerApiRange, node: string): ProviderApiChoice {
  if (compareApi(range.api, PROVIDER_API_PIN) < 0) {
    throw new DockerApiError(
      `${node}: Docker API ${range.api} is older than ${PROVIDER_API_PIN}, which faas-swarm needs; upgrade Docker on ${node} (sudo apt-get install docker.io), then run: edgefaas up`,
    );
  }
  if (compareApi(range.minApi, PROVIDER_API_PIN) <= 0) {
    return { version: PROVIDER_API_PIN, reason: `faas-swarm speaks API ${PROVIDER_API_PIN} (accepted: ${range.minApi}-${range.api})` };
  }
  return {
    version: range.minApi,
    reason: `Docker refuses clients below ${range.minApi}: faas-swarm speaks API ${range.minApi} instead of its pinned ${PROVIDER_API_PIN}`,
  };
}
