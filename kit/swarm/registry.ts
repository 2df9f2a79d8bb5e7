import bcrypt from 'bcryptjs';
import type { Step } from '../plan/types.ts';
import { shq } from '../docker/shell.ts';
import { hostPort } from '../nodes/address.ts';

export const REGISTRY_SERVICE = 'edgefaas-registry';
/** On every swarm object edgefaas creates, so down tells its own from the user's. */
export const OWNED_LABEL = 'edgefaas.owned';
/** The Swarm secret holding the LAN registry's htpasswd line (user:bcrypt), mounted into its service. */
export const REGISTRY_HTPASSWD_SECRET = 'edgefaas-registry-htpasswd';

/** distribution reads these (REGISTRY_* override its config file): basic auth from the mounted secret. */
const AUTH_ENV = ['REGISTRY_AUTH=htpasswd', 'REGISTRY_AUTH_HTPASSWD_REALM=edgefaas', `REGISTRY_AUTH_HTPASSWD_PATH=/run/secrets/${REGISTRY_HTPASSWD_SECRET}`];

/** The htpasswd line the registry checks (bcrypt: the only hash distribution accepts). */
export function htpasswdLine(user: string, password: string): string {
  return `${user}:${bcrypt.hashSync(password, 10)}\n`;
}

/**
 * The LAN registry: a Swarm service pinned to the gateway node (its data in a named volume there),
 * reachable at MANAGER:PORT by every node, with basic auth unless cluster.yaml turns it off. Without
 * IPVS its port is published in host mode.
 */
export function registryServiceStep(o: { image: string; port: number; ipvs: boolean; auth: boolean }): Step {
  const publish = `published=${o.port},target=5000${o.ipvs ? '' : ',mode=host'}`;
  return {
    title: `start the LAN registry on port ${o.port} (${o.image}${o.auth ? ', basic auth' : ''})`,
    command: [
      'docker service create --detach --no-resolve-image',
      `--name ${REGISTRY_SERVICE}`,
      `--label ${OWNED_LABEL}=true`,
      "--constraint 'node.labels.edgefaas.gateway == true'",
      `--publish ${publish}`,
      ...(o.ipvs ? [] : ['--endpoint-mode dnsrr']),
      `--mount type=volume,source=${REGISTRY_SERVICE},target=/var/lib/registry`,
      ...(o.auth ? [`--secret ${REGISTRY_HTPASSWD_SECRET}`, ...AUTH_ENV.map((e) => `--env ${e}`)] : []),
      '--restart-condition any',
      shq(o.image),
    ].join(' '),
    sudo: true,
  };
}

/** A registry service an older `up` started open: basic auth added in place (its images stay). */
export function registryAddAuthStep(): Step {
  return {
    title: 'turn on basic auth on the LAN registry',
    command: `docker service update --quiet --secret-add ${REGISTRY_HTPASSWD_SECRET} ${AUTH_ENV.map((e) => `--env-add ${e}`).join(' ')} ${REGISTRY_SERVICE} >/dev/null`,
    sudo: true,
    timeoutMs: 5 * 60_000,
  };
}

export function createHtpasswdSecretStep(line: string): Step {
  return { title: `create secret ${REGISTRY_HTPASSWD_SECRET}`, command: `docker secret create --label ${OWNED_LABEL}=true ${REGISTRY_HTPASSWD_SECRET} - >/dev/null`, stdin: line, sudo: true };
}

/** What one node already has for a registry: read-only; the expected login (base64 user:password) comes on stdin. */
export function registryTrustProbeStep(address: string): Step {
  const caFile = `/etc/docker/certs.d/${address}/ca.crt`;
  return {
    title: `read registry ${address} trust and login (read-only)`,
    command: [
      'a="$(cat)"; f="${DOCKER_CONFIG:-$HOME/.docker}/config.json"',
      'if [ -n "$a" ] && [ -f "$f" ] && grep -qF -- "\\"$a\\"" "$f"; then echo login=1; else echo login=0; fi',
      `if [ -f ${shq(caFile)} ]; then echo "ca=$(sha256sum < ${shq(caFile)} | cut -c1-64)"; fi`,
      `if docker service inspect ${REGISTRY_SERVICE} --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}' 2>/dev/null | grep -q REGISTRY_AUTH=htpasswd; then echo service_auth=1; fi`,
    ].join('\n'),
    sudo: true,
    readOnly: true,
  };
}

export interface RegistryTrust {
  loggedIn: boolean;
  /** sha256 of /etc/docker/certs.d/ADDRESS/ca.crt, when there is one. */
  caSha256?: string;
  /** The LAN registry service checks basic auth (manager only). */
  serviceAuth: boolean;
}

export function parseRegistryTrust(out: string): RegistryTrust {
  const kv = new Map(out.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()] as const));
  return { loggedIn: kv.get('login') === '1', serviceAuth: kv.get('service_auth') === '1', ...(kv.get('ca') ? { caSha256: kv.get('ca') } : {}) };
}

/** Docker trusts a registry signed by a private CA through /etc/docker/certs.d/HOST:PORT/ca.crt (read per connection: no restart). */
export function registryCaStep(address: string, pem: string): Step {
  const dir = `/etc/docker/certs.d/${address}`;
  return {
    title: `trust the CA of registry ${address} (${dir}/ca.crt)`,
    command: `install -d -m 755 ${shq(dir)} && cat > ${shq(`${dir}/ca.crt.edgefaas-new`)} && chmod 644 ${shq(`${dir}/ca.crt.edgefaas-new`)} && mv ${shq(`${dir}/ca.crt.edgefaas-new`)} ${shq(`${dir}/ca.crt`)}`,
    stdin: pem,
    sudo: true,
  };
}

/** root's docker login (what `docker push` and `docker stack deploy --with-registry-auth` use); the password on stdin. */
export function registryLoginStep(address: string, username: string, password: string): Step {
  return {
    title: `log in to registry ${address} as ${username}`,
    command: `docker login --username ${shq(username)} --password-stdin ${shq(address)} >/dev/null`,
    stdin: password,
    sudo: true,
    timeoutMs: 60_000,
  };
}

/**
 * Waits until the registry answers HTTP at the address every node pulls from. A TCP connect is not
 * enough: without IPVS the port is published in host mode, and Docker's userland proxy accepts on
 * loopback before the registry in the task listens (on a half-core Pi, long before), so the nodes'
 * login that followed was refused.
 */
export function waitForRegistryStep(host: string, port: number, seconds = 60): Step {
  const at = hostPort(host, port);
  const answers =
    `perl -MIO::Socket::IP -e '$s = IO::Socket::IP->new(PeerHost => $ARGV[0], PeerPort => $ARGV[1], Timeout => 5) or exit 1; alarm 10; ` +
    `print $s "GET /v2/ HTTP/1.0\\r\\n\\r\\n"; (<$s> // "") =~ m{^HTTP/1\\.[01] [0-9]{3} } or exit 1' ${shq(host)} ${port}`;
  return {
    title: `wait for the registry to answer on ${at}`,
    command:
      `i=0; until ${answers}; do ` +
      `i=$((i+1)); [ $i -ge ${seconds} ] && { echo "registry did not answer on ${at} within ${seconds}s; see: docker service ps ${REGISTRY_SERVICE}" >&2; exit 1; }; sleep 1; done`,
    sudo: true,
    timeoutMs: (seconds * 16 + 15) * 1000,
  };
}
