import type { NodeFacts } from './facts.ts';
import { providerApiVersion } from '../docker/api-version.ts';
import { noImageReason } from './arch.ts';

/** How many classifier replicas this node holds (kit/openfaas/sizing.ts), from doctor's view of the cluster. */
export interface ReplicaFit {
  replicas: number;
  requestMi: number;
  workers: number;
  /** The control plane runs here and reserves this much. */
  stackMi?: number;
}

/** One doctor line: a fact, whether it is fine for the cluster, and the fix when it is not. */
export interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

export const LIMITS = {
  /** Docker, the OpenFaaS images and the model image. */
  minDiskFreeMB: 4096,
  maxClockSkewMs: 2000,
} as const;

const SWARM_PORTS = new Set([2377, 7946, 4789]);

export function checkFacts(f: NodeFacts, fit?: ReplicaFit): Check[] {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  add({ id: 'hostname', status: 'ok', detail: f.hostname });
  const debianLike = ['debian', 'raspbian', 'ubuntu'].includes(f.os.id);
  add({
    id: 'os',
    status: debianLike ? 'ok' : 'warn',
    detail: f.os.prettyName,
    fix: debianLike ? undefined : 'edgefaas installs Docker with apt: use Raspberry Pi OS or Debian',
  });
  add({
    id: 'arch',
    status: f.platform ? 'ok' : 'fail',
    detail: `kernel ${f.kernel.arch}, userland ${f.userlandArch ?? 'unknown'} -> ${f.platform ?? 'no image'}`,
    fix: f.platform ? undefined : noImageReason(f.hostname, f.kernel.arch, f.userlandArch),
  });
  const ram = `${f.memory.totalMB} MB RAM${f.memory.cgroupLimitMB !== undefined ? ' (cgroup limit)' : ''} (${f.memory.availableMB} MB free), ${f.memory.swapMB} MB swap`;
  const room = fit ? `; room for ${fit.replicas} replica${fit.replicas === 1 ? '' : 's'} of ${fit.requestMi} Mi (${fit.workers} worker${fit.workers === 1 ? '' : 's'})${fit.stackMi ? `, the OpenFaaS stack reserves ${fit.stackMi} Mi here` : ''}` : '';
  add({
    id: 'memory',
    status: fit && fit.replicas === 0 ? 'fail' : 'ok',
    detail: ram + room,
    fix: fit && fit.replicas === 0 ? `no classifier replica fits: give this node more RAM (a 1 GB+ board), or move the control plane to a bigger node (first manager in cluster.yaml)` : undefined,
  });
  add({
    id: 'disk',
    status: f.diskFreeMB >= LIMITS.minDiskFreeMB ? 'ok' : 'fail',
    detail: `${(f.diskFreeMB / 1024).toFixed(1)} GB free under /var/lib`,
    fix: f.diskFreeMB >= LIMITS.minDiskFreeMB ? undefined : 'free at least 4 GB for Docker images (sudo apt-get clean; a bigger SD card)',
  });
  add({
    id: 'page-size',
    status: f.pageSize === 4096 ? 'ok' : 'warn',
    detail: `${f.pageSize / 1024} KB pages`,
    fix: f.pageSize === 4096 ? undefined : 'a 16K-page kernel (Pi 5) breaks some software: add kernel=kernel8.img to /boot/firmware/config.txt and reboot',
  });
  add({ id: 'glibc', status: f.glibc ? 'ok' : 'warn', detail: f.glibc ? `glibc ${f.glibc}` : 'glibc not found', fix: f.glibc ? undefined : 'the images need glibc: use Raspberry Pi OS or Debian' });
  const cmdline = f.bootCmdline?.path ?? '/boot/firmware/cmdline.txt (bookworm) or /boot/cmdline.txt';
  add({
    id: 'cgroups',
    status: f.cgroup.memoryController ? 'ok' : 'fail',
    detail: `cgroup v${f.cgroup.version}${f.cgroup.hybrid ? ' (hybrid)' : ''}, memory controller ${f.cgroup.memoryController ? 'on' : 'off'}`,
    fix: f.cgroup.memoryController ? undefined : `add "cgroup_memory=1 cgroup_enable=memory" to the line in ${cmdline}, then reboot`,
  });
  add({
    id: 'docker',
    status: 'ok',
    detail: f.docker.installed ? `docker ${f.docker.version ?? '?'}, ${f.docker.running ? 'running' : 'not running'}` : 'not installed (edgefaas up installs it)',
  });
  if (f.dockerApi) {
    let detail = `API ${f.dockerApi.api}, accepts clients from ${f.dockerApi.minApi}`;
    let fix: string | undefined;
    try {
      detail += `: ${providerApiVersion(f.dockerApi, f.hostname).reason}`;
    } catch (e) {
      fix = (e as Error).message;
    }
    add({ id: 'docker-api', status: fix ? 'fail' : 'ok', detail, fix });
  }
  add({
    id: 'swarm',
    status: 'ok',
    detail: f.swarm ? `${f.swarm.state}${f.swarm.clusterId ? ` in ${f.swarm.clusterId.slice(0, 12)}` : ''}${f.swarm.manager ? ' (manager)' : ''}` : 'not in a swarm (docker not running)',
  });
  add({ id: 'k3s', status: 'ok', detail: f.k3s.installed ? `k3s ${f.k3s.version ?? 'present'}` : 'not installed' });
  add({
    id: 'ipvs',
    status: f.ipvs ? 'ok' : 'warn',
    detail: f.ipvs ? 'available' : 'missing: no Swarm routing mesh or service VIPs',
    fix: f.ipvs ? undefined : 'try: sudo modprobe ip_vs; without it edgefaas uses dnsrr endpoints and host-mode ports',
  });
  const skew = Math.abs(f.clockSkewMs);
  add({
    id: 'clock',
    status: skew <= LIMITS.maxClockSkewMs ? 'ok' : 'fail',
    detail: `${f.clockSkewMs >= 0 ? '+' : ''}${(f.clockSkewMs / 1000).toFixed(2)} s against this machine`,
    fix: skew <= LIMITS.maxClockSkewMs ? undefined : 'Swarm certificates need agreeing clocks: sudo timedatectl set-ntp true (or install chrony)',
  });
  const inSwarm = f.swarm?.state === 'active';
  const busy = f.portsInUse.filter((p) => !(inSwarm && SWARM_PORTS.has(p.port)));
  add({
    id: 'ports',
    status: busy.length ? 'fail' : 'ok',
    detail: busy.length ? `in use: ${busy.map((p) => `${p.port}/${p.proto}`).join(', ')}` : '2377, 7946, 4789, 8080, 6443 free',
    fix: busy.length ? `see what holds them: sudo ss -lntup | grep -E ':(${busy.map((p) => p.port).join('|')})\\b'; stop it, then run: edgefaas doctor` : undefined,
  });
  return checks;
}
