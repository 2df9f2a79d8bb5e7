import type { Runner } from '../plan/types.ts';
import { platformFor } from './arch.ts';
import { parseApiRange, type DockerApiRange } from '../docker/api-version.ts';

/**
 * What doctor learns about a node; `images` reuses it (userland arch). `up` does not: it reads Docker
 * and swarm state in its own sudo plan step (kit/docker/facts.ts), which also lists the manager's nodes,
 * services and secrets that doctor never needs.
 */
export interface NodeFacts {
  hostname: string;
  os: { id: string; versionId: string; prettyName: string };
  kernel: { release: string; arch: string };
  /** dpkg --print-architecture; null without dpkg. */
  userlandArch: string | null;
  /** The image platform this node pulls (linux/arm64, linux/arm/v7, linux/amd64), null if none fits. */
  platform: string | null;
  /**
   * totalMB is what the node may use: /proc/meminfo's MemTotal, or a cgroup memory limit when one is
   * lower (an LXC container, or a lab host run with --memory 1g, shows the machine's RAM in meminfo).
   */
  memory: { totalMB: number; availableMB: number; swapMB: number; cgroupLimitMB?: number };
  /** Cores it may use: nproc, or fewer under a cgroup CPU quota. */
  cpus: number;
  /** Free space on the filesystem holding /var/lib (Docker's images). */
  diskFreeMB: number;
  pageSize: number;
  glibc: string | null;
  cgroup: { version: 1 | 2; hybrid: boolean; memoryController: boolean };
  /** The Pi's boot command line file, if any (where cgroup_memory=1 cgroup_enable=memory go). */
  bootCmdline: { path: string; memoryFlags: boolean } | null;
  docker: { installed: boolean; version: string | null; running: boolean };
  /** The daemon's API and minimum client API (docker version, asked through sudo); null when not running. */
  dockerApi: DockerApiRange | null;
  /** null when Docker is not running (or could not be asked). */
  swarm: { state: string; nodeId: string; clusterId: string; manager: boolean } | null;
  k3s: { installed: boolean; version: string | null };
  ipvs: boolean;
  /** Node clock minus this machine's, in ms (round-trip midpoint). */
  clockSkewMs: number;
  /** Which of the cluster ports something already listens on, with protocol. */
  portsInUse: Array<{ port: number; proto: 'tcp' | 'udp' }>;
}

export const CLUSTER_PORTS = [
  { port: 2377, proto: 'tcp' },
  { port: 7946, proto: 'tcp' },
  { port: 7946, proto: 'udp' },
  { port: 4789, proto: 'udp' },
  { port: 8080, proto: 'tcp' },
  { port: 6443, proto: 'tcp' },
] as const;

/** One read-only script; each section starts with a "@@name" line. */
export const PROBE_SCRIPT = [
  'export LC_ALL=C',
  'echo @@hostname; hostname',
  'echo @@os; cat /etc/os-release 2>/dev/null',
  'echo @@uname; uname -r; uname -m',
  'echo @@dpkg; dpkg --print-architecture 2>/dev/null',
  'echo @@meminfo; grep -E "^(MemTotal|MemAvailable|SwapTotal):" /proc/meminfo',
  'echo @@cgmem; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null',
  'echo @@cpus; nproc; cat /sys/fs/cgroup/cpu.max 2>/dev/null; echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null)"',
  'echo @@df; df -Pk /var/lib 2>/dev/null | tail -1',
  'echo @@pagesize; getconf PAGESIZE',
  'echo @@glibc; getconf GNU_LIBC_VERSION 2>/dev/null',
  'echo @@cgroupfs; stat -fc %T /sys/fs/cgroup 2>/dev/null; stat -fc %T /sys/fs/cgroup/unified 2>/dev/null',
  'echo @@cgroups; cat /proc/cgroups 2>/dev/null; cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null',
  'echo @@cmdline; for f in /boot/firmware/cmdline.txt /boot/cmdline.txt; do if [ -f "$f" ]; then echo "$f"; cat "$f"; break; fi; done',
  'echo @@docker; command -v docker >/dev/null 2>&1 && docker --version',
  'echo @@dockerd; (pidof dockerd >/dev/null 2>&1 || pgrep -x dockerd >/dev/null 2>&1) && echo running',
  'echo @@k3s; command -v k3s >/dev/null 2>&1 && k3s --version 2>/dev/null | head -1 || { [ -x /usr/local/bin/k3s ] && echo present; }',
  'echo @@ipvs; if [ -e /proc/net/ip_vs ]; then echo loaded; elif modinfo ip_vs >/dev/null 2>&1; then echo module; fi',
  'echo @@ports; ss -Hltun 2>/dev/null',
  'echo @@end',
].join('\n');

export function sections(out: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of out.split('\n')) {
    const m = /^@@(\w+)$/.exec(line.trim());
    if (m) map.set(m[1]!, (cur = []));
    else if (cur && line.trim() !== '') cur.push(line);
  }
  return map;
}

function kv(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf('=');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1).replace(/^"|"$/g, '');
  }
  return out;
}

function meminfoMB(lines: string[], key: string): number {
  const l = lines.find((x) => x.startsWith(`${key}:`));
  return l ? Math.round(Number(/(\d+)/.exec(l)?.[1] ?? 0) / 1024) : 0;
}

/** The lowest cgroup memory limit in MB, when one is set ("max" and v1's near-2^63 mean none). */
function cgroupLimitMB(lines: string[], machineMB: number): number | undefined {
  const limits = lines.map((l) => Number(l.trim())).filter((n) => Number.isFinite(n) && n > 0).map((n) => Math.round(n / 1024 ** 2));
  const lowest = Math.min(...limits);
  return lowest < machineMB ? lowest : undefined;
}

/** nproc, or the CPU quota rounded up ("50000 100000" is half a core: one worker). */
function effectiveCpus(lines: string[]): number {
  const [nproc = '1', ...quotas] = lines;
  let cpus = Math.max(1, Number(nproc.trim()) || 1);
  for (const q of quotas) {
    const [quota, period] = q.trim().split(/\s+/).map(Number);
    if (quota && period && quota > 0) cpus = Math.min(cpus, Math.max(1, Math.ceil(quota / period)));
  }
  return cpus;
}

/** Parses the probe script's output (pure: tested on recorded outputs). */
export function parseProbe(out: string): Omit<NodeFacts, 'clockSkewMs' | 'swarm' | 'dockerApi'> {
  const s = sections(out);
  const get = (k: string) => s.get(k) ?? [];
  const os = kv(get('os'));
  const [release = '', arch = ''] = get('uname');
  const userland = get('dpkg')[0]?.trim() || null;
  const dfCols = (get('df')[0] ?? '').trim().split(/\s+/);
  const [fsType = '', unifiedType = ''] = get('cgroupfs');
  const cgroupLines = get('cgroups');
  const memoryV1 = cgroupLines.some((l) => /^memory\s+\d+\s+\d+\s+1$/.test(l.trim()));
  const memoryV2 = cgroupLines.some((l) => !l.startsWith('#') && !/^\w+\s+\d+\s+\d+\s+\d$/.test(l.trim()) && l.split(/\s+/).includes('memory'));
  const cmd = get('cmdline');
  const dockerLine = get('docker')[0];
  const k3sLine = get('k3s')[0];
  const portsInUse: NodeFacts['portsInUse'] = [];
  for (const l of get('ports')) {
    const cols = l.trim().split(/\s+/);
    const proto = cols[0] === 'tcp' ? 'tcp' : cols[0] === 'udp' ? 'udp' : undefined;
    const port = Number(/:(\d+)$/.exec(cols[4] ?? '')?.[1]);
    if (proto && CLUSTER_PORTS.some((p) => p.port === port && p.proto === proto) && !portsInUse.some((p) => p.port === port && p.proto === proto)) {
      portsInUse.push({ port, proto });
    }
  }
  const version = fsType === 'cgroup2fs' ? 2 : 1;
  return {
    hostname: get('hostname')[0]?.trim() ?? '',
    os: { id: os.ID ?? 'unknown', versionId: os.VERSION_ID ?? '', prettyName: os.PRETTY_NAME ?? 'unknown' },
    kernel: { release: release.trim(), arch: arch.trim() },
    userlandArch: userland,
    platform: platformFor(arch.trim(), userland),
    memory: memoryOf(get('meminfo'), get('cgmem')),
    cpus: effectiveCpus(get('cpus')),
    diskFreeMB: Math.round(Number(dfCols[3] ?? 0) / 1024),
    pageSize: Number(get('pagesize')[0] ?? 0),
    glibc: /glibc\s+(\S+)/.exec(get('glibc')[0] ?? '')?.[1] ?? null,
    cgroup: { version, hybrid: version === 1 && unifiedType === 'cgroup2fs', memoryController: version === 2 ? memoryV2 : memoryV1 },
    bootCmdline: cmd[0]
      ? { path: cmd[0].trim(), memoryFlags: /\bcgroup_memory=1\b/.test(cmd.slice(1).join(' ')) && /\bcgroup_enable=memory\b/.test(cmd.slice(1).join(' ')) }
      : null,
    docker: {
      installed: dockerLine !== undefined,
      version: /version\s+([^,\s]+)/i.exec(dockerLine ?? '')?.[1] ?? null,
      running: get('dockerd')[0]?.trim() === 'running',
    },
    k3s: { installed: k3sLine !== undefined, version: /v[\d.]+\S*/.exec(k3sLine ?? '')?.[0] ?? null },
    ipvs: get('ipvs').length > 0,
    portsInUse,
  };
}

function memoryOf(meminfo: string[], cgmem: string[]): NodeFacts['memory'] {
  const machine = meminfoMB(meminfo, 'MemTotal');
  const limit = cgroupLimitMB(cgmem, machine);
  const memory = { totalMB: limit ?? machine, availableMB: Math.min(meminfoMB(meminfo, 'MemAvailable'), limit ?? Infinity), swapMB: meminfoMB(meminfo, 'SwapTotal') };
  return limit === undefined ? memory : { ...memory, cgroupLimitMB: limit };
}

/** Swarm state (its exit code is the command's), then after @@api the daemon's API range. */
const DOCKER_PROBE =
  `docker info --format '{{.Swarm.LocalNodeState}}|{{.Swarm.NodeID}}|{{if .Swarm.Cluster}}{{.Swarm.Cluster.ID}}{{end}}|{{.Swarm.ControlAvailable}}'; rc=$?\n` +
  `echo @@api; docker version --format '{{.Server.APIVersion}}|{{.Server.MinAPIVersion}}' 2>/dev/null; exit $rc`;

export function parseSwarm(line: string): NodeFacts['swarm'] {
  const [state = '', nodeId = '', clusterId = '', manager = ''] = line.trim().split('|');
  if (!state) return null;
  return { state, nodeId, clusterId, manager: manager === 'true' };
}

/** Probes a node read-only over its runner. */
export async function probeNode(runner: Runner, now: () => number = Date.now): Promise<NodeFacts> {
  const t0 = now();
  const clock = await runner.exec('date +%s%N', { readOnly: true, timeoutMs: 15_000 });
  const t1 = now();
  const remoteMs = Number(BigInt(clock.stdout.trim() || '0') / 1_000_000n);
  const clockSkewMs = Math.round(remoteMs - (t0 + t1) / 2);
  const res = await runner.exec(PROBE_SCRIPT, { readOnly: true, timeoutMs: 30_000 });
  const facts = parseProbe(res.stdout);
  let swarm: NodeFacts['swarm'] = null;
  let dockerApi: DockerApiRange | null = null;
  if (facts.docker.running) {
    // The docker socket is root's: ask through sudo (read-only), both questions in one command.
    const docker = await runner.exec(DOCKER_PROBE, { sudo: true, readOnly: true, timeoutMs: 30_000 }).catch(() => undefined);
    if (docker) {
      const [info = '', version] = docker.stdout.split('@@api\n');
      dockerApi = parseApiRange(version);
      if (docker.code === 0) swarm = parseSwarm(info);
    }
  }
  return { ...facts, clockSkewMs, swarm, dockerApi };
}
