import type { Step } from '../plan/types.ts';
import { parseApiRange, type DockerApiRange } from './api-version.ts';

/** What `up` needs to know about one node's Docker, read in one read-only step. */
export interface DockerFacts {
  /** uname -m: x86_64, aarch64, armv7l... */
  arch: string;
  /** dpkg --print-architecture (armhf, arm64, amd64); null without dpkg. */
  userland: string | null;
  /** /etc/os-release ID: debian, raspbian, ubuntu... */
  os: string;
  serviceManager: 'systemd' | 'sysv';
  dockerInstalled: boolean;
  /** Docker's own apt repository (download.docker.com) is configured. */
  dockerAptRepo: boolean;
  dockerRunning: boolean;
  /** The SSH user (root counts as in). */
  userInDockerGroup: boolean;
  /** The kernel has IPVS (the Swarm routing mesh and service VIPs need it). */
  ipvs: boolean;
  /** repo:tag of every local image. */
  images: string[];
  /** /etc/docker/daemon.json as it is; undefined when absent. */
  daemonJson?: string;
  swarm: SwarmFacts;
  /** The daemon's API version and the oldest client API it accepts; null when Docker is not running. */
  api: DockerApiRange | null;
  /** Only on a node that is a swarm manager. */
  manager?: ManagerFacts;
}

export interface SwarmFacts {
  /** docker info .Swarm.LocalNodeState: inactive, pending, active, error, locked ('' when docker is down). */
  state: string;
  nodeId: string;
  isManager: boolean;
  clusterId: string;
}

export interface SwarmNodeInfo {
  id: string;
  hostname: string;
  role: string;
  state: string;
  availability: string;
  addr: string;
  arch: string;
  labels: Record<string, string>;
}

export interface ServiceInfo {
  name: string;
  replicas: string;
  image: string;
}

export interface ManagerFacts {
  nodes: SwarmNodeInfo[];
  services: ServiceInfo[];
  secrets: string[];
  /** Label edgefaas.stack.sha256 of the deployed gateway service ('' when none). */
  stackHash: string;
}

const PROBE = String.raw`u="$SUDO_USER"; [ -n "$u" ] || u="$(id -un)"
echo "arch=$(uname -m)"
echo "userland=$(dpkg --print-architecture 2>/dev/null)"
( ID=unknown; . /etc/os-release 2>/dev/null; echo "os=$ID" )
if [ -d /run/systemd/system ]; then echo svc=systemd; else echo svc=sysv; fi
if command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1; then echo docker_installed=1; else echo docker_installed=0; fi
if grep -rqs download.docker.com /etc/apt/sources.list /etc/apt/sources.list.d; then echo docker_apt_repo=1; else echo docker_apt_repo=0; fi
if [ "$u" = root ] || id -nG "$u" 2>/dev/null | grep -qw docker; then echo docker_group=1; else echo docker_group=0; fi
if [ -e /proc/net/ip_vs ] || modprobe -n ip_vs >/dev/null 2>&1; then echo ipvs=1; else echo ipvs=0; fi
if [ -e /etc/docker/daemon.json ]; then echo "daemon_json=$(base64 -w0 /etc/docker/daemon.json)"; fi
if timeout 20 docker info >/dev/null 2>&1; then
  echo docker_running=1
  echo "docker_api=$(docker version --format '{{.Server.APIVersion}}|{{.Server.MinAPIVersion}}' 2>/dev/null)"
  docker info --format 'swarm_state={{.Swarm.LocalNodeState}}
swarm_node_id={{.Swarm.NodeID}}
swarm_manager={{.Swarm.ControlAvailable}}
swarm_cluster_id={{if .Swarm.Cluster}}{{.Swarm.Cluster.ID}}{{end}}'
  if [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ]; then
    docker node ls -q | xargs -r docker node inspect --format 'node={{.ID}}|{{.Description.Hostname}}|{{.Spec.Role}}|{{.Status.State}}|{{.Spec.Availability}}|{{.Status.Addr}}|{{.Description.Platform.Architecture}}|{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}};{{end}}'
    docker service ls --format 'service={{.Name}}|{{.Replicas}}|{{.Image}}'
    docker secret ls --format 'secret={{.Name}}'
    echo "stack_hash=$(docker service inspect func_gateway --format '{{index .Spec.Labels "edgefaas.stack.sha256"}}' 2>/dev/null)"
  fi
  docker image ls --format 'image={{.Repository}}:{{.Tag}}'
else
  echo docker_running=0
fi`;

/** The one read-only step that gathers DockerFacts (runs under sudo: docker may need root). */
export function probeDockerStep(): Step {
  return { title: 'read docker and swarm state', command: PROBE, sudo: true, readOnly: true, timeoutMs: 60_000 };
}

export class ProbeParseError extends Error {
  override name = 'ProbeParseError';
}

export function parseDockerFacts(out: string): DockerFacts {
  const one = new Map<string, string>();
  const many = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (['node', 'service', 'secret', 'image'].includes(key)) many.set(key, [...(many.get(key) ?? []), value]);
    else one.set(key, value);
  }
  if (!one.has('arch') || !one.has('docker_running')) {
    throw new ProbeParseError(`unexpected probe output (no arch/docker_running): ${out.slice(0, 200)}`);
  }
  const flag = (k: string) => one.get(k) === '1';
  const isManager = one.get('swarm_manager') === 'true';
  const json = one.get('daemon_json');
  const facts: DockerFacts = {
    arch: one.get('arch')!,
    userland: one.get('userland') || null,
    os: one.get('os') ?? 'unknown',
    serviceManager: one.get('svc') === 'systemd' ? 'systemd' : 'sysv',
    dockerInstalled: flag('docker_installed'),
    dockerAptRepo: flag('docker_apt_repo'),
    dockerRunning: flag('docker_running'),
    userInDockerGroup: flag('docker_group'),
    ipvs: flag('ipvs'),
    images: many.get('image') ?? [],
    daemonJson: json === undefined ? undefined : Buffer.from(json, 'base64').toString('utf8'),
    swarm: {
      state: one.get('swarm_state') ?? '',
      nodeId: one.get('swarm_node_id') ?? '',
      isManager,
      clusterId: one.get('swarm_cluster_id') ?? '',
    },
    api: parseApiRange(one.get('docker_api')),
  };
  if (isManager) {
    facts.manager = {
      nodes: (many.get('node') ?? []).map(parseNode),
      services: (many.get('service') ?? []).map((s) => {
        const [name = '', replicas = '', image = ''] = s.split('|');
        return { name, replicas, image };
      }),
      secrets: many.get('secret') ?? [],
      stackHash: one.get('stack_hash') ?? '',
    };
  }
  return facts;
}

function parseNode(line: string): SwarmNodeInfo {
  const [id = '', hostname = '', role = '', state = '', availability = '', addr = '', arch = '', labels = ''] = line.split('|');
  const map: Record<string, string> = {};
  for (const kv of labels.split(';')) {
    const eq = kv.indexOf('=');
    if (eq > 0) map[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { id, hostname, role, state, availability, addr, arch, labels: map };
}
