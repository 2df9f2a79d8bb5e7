import { describe, expect, it } from 'vitest';
import { parseProbe, parseSwarm } from './facts.ts';
import { checkFacts } from './checks.ts';

// Probe output as a Raspberry Pi 5 on 32-bit Raspberry Pi OS bookworm prints it (16K kernel, no memory cgroup).
const pi5 = `@@hostname
pi5
@@os
PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"
ID=raspbian
VERSION_ID="12"
@@uname
6.6.51+rpt-rpi-2712
aarch64
@@dpkg
armhf
@@meminfo
MemTotal:        8245136 kB
MemAvailable:    7712000 kB
SwapTotal:        524284 kB
@@cgmem
@@cpus
4
max 100000
@@df
/dev/mmcblk0p2  29801344 5012000 23520000 18% /
@@pagesize
16384
@@glibc
glibc 2.36
@@cgroupfs
cgroup2fs
@@cgroups
#subsys_name	hierarchy	num_cgroups	enabled
cpuset	0	95	1
cpu	0	95	1
memory	0	95	0
cpuset cpu io pids
@@cmdline
/boot/firmware/cmdline.txt
console=serial0,115200 console=tty1 root=PARTUUID=1 rootfstype=ext4 fsck.repair=yes rootwait
@@docker
Docker version 20.10.24+dfsg1, build 297e128
@@dockerd
running
@@k3s
@@ipvs
module
@@ports
tcp   LISTEN 0      4096         0.0.0.0:8080      0.0.0.0:*
tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*
udp   UNCONN 0      0            0.0.0.0:4789      0.0.0.0:*
@@end
`;

describe('parseProbe', () => {
  const f = parseProbe(pi5);

  it('reads a 64-bit kernel under a 32-bit userland as an arm/v7 node', () => {
    expect(f.kernel.arch).toBe('aarch64');
    expect(f.userlandArch).toBe('armhf');
    expect(f.platform).toBe('linux/arm/v7');
  });

  it('reads memory, swap, disk, page size and glibc', () => {
    expect(f.memory).toEqual({ totalMB: 8052, availableMB: 7531, swapMB: 512 });
    expect(f.cpus).toBe(4);
    expect(f.diskFreeMB).toBe(22969);
    expect(f.pageSize).toBe(16384);
    expect(f.glibc).toBe('2.36');
  });

  it('sees cgroup v2 without the memory controller and where cmdline.txt is', () => {
    expect(f.cgroup).toEqual({ version: 2, hybrid: false, memoryController: false });
    expect(f.bootCmdline).toEqual({ path: '/boot/firmware/cmdline.txt', memoryFlags: false });
  });

  it('reads Docker, IPVS as a loadable module and the cluster ports in use', () => {
    expect(f.docker).toEqual({ installed: true, version: '20.10.24+dfsg1', running: true });
    expect(f.k3s.installed).toBe(false);
    expect(f.ipvs).toBe(true);
    expect(f.portsInUse).toEqual([
      { port: 8080, proto: 'tcp' },
      { port: 4789, proto: 'udp' },
    ]);
  });

  it('turns the problems into failed checks with fixes', () => {
    const checks = checkFacts({ ...f, clockSkewMs: 4200, swarm: parseSwarm('inactive|||false'), dockerApi: null });
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId.cgroups!.status).toBe('fail');
    expect(byId.cgroups!.fix).toContain('cgroup_memory=1 cgroup_enable=memory');
    expect(byId.cgroups!.fix).toContain('/boot/firmware/cmdline.txt');
    expect(byId['page-size']!.status).toBe('warn');
    expect(byId.clock!.status).toBe('fail');
    expect(byId.ports!.status).toBe('fail');
    expect(byId.ports!.detail).toBe('in use: 8080/tcp, 4789/udp');
    expect(byId.ipvs!.status).toBe('ok');
  });

  it('does not count swarm ports as busy when the node is already in a swarm', () => {
    const checks = checkFacts({ ...f, clockSkewMs: 0, swarm: parseSwarm('active|abc|def|true'), dockerApi: null });
    expect(checks.find((c) => c.id === 'ports')!.detail).toBe('in use: 8080/tcp');
  });
});

// A lab host run with --memory 1g --cpus 0.5 (as an LXC container): /proc/meminfo shows the machine's 24 GB.
const limitedHost = pi5
  .replace('MemTotal:        8245136 kB', 'MemTotal:       24683568 kB')
  .replace('MemAvailable:    7712000 kB', 'MemAvailable:   20000000 kB')
  .replace('@@cgmem\n', '@@cgmem\n1073741824\n')
  .replace('4\nmax 100000\n', '2\n50000 100000\n');

describe('a node under a cgroup limit', () => {
  const f = parseProbe(limitedHost);

  it("counts the cgroup's 1 GB, not the machine's 24 GB, and half a core as one", () => {
    expect(f.memory).toEqual({ totalMB: 1024, availableMB: 1024, swapMB: 512, cgroupLimitMB: 1024 });
    expect(f.cpus).toBe(1);
  });

  it("ignores cgroup v1's unlimited value and v2's max", () => {
    const unlimited = parseProbe(pi5.replace('@@cgmem\n', '@@cgmem\n9223372036854771712\nmax\n'));
    expect(unlimited.memory.totalMB).toBe(8052);
    expect(unlimited.memory.cgroupLimitMB).toBeUndefined();
  });
});

describe('doctor checks for Pi-sized nodes and Docker API', () => {
  const f = { ...parseProbe(pi5), clockSkewMs: 0, swarm: null, dockerApi: { api: '1.52', minApi: '1.44' } };

  it('fails a node where no replica fits, saying why', () => {
    const c = checkFacts(f, { replicas: 0, requestMi: 410, workers: 1, stackMi: 410 }).find((x) => x.id === 'memory')!;
    expect(c.status).toBe('fail');
    expect(c.detail).toBe('8052 MB RAM (7531 MB free), 512 MB swap; room for 0 replicas of 410 Mi (1 worker), the OpenFaaS stack reserves 410 Mi here');
  });

  it("shows the daemon's API range and what faas-swarm will speak", () => {
    expect(checkFacts(f).find((x) => x.id === 'docker-api')).toEqual({
      id: 'docker-api',
      status: 'ok',
      detail: 'API 1.52, accepts clients from 1.44: Docker refuses clients below 1.44: faas-swarm speaks API 1.44 instead of its pinned 1.30',
      fix: undefined,
    });
  });

  it('refuses an ARMv6 board with the reason', () => {
    const zero = { ...f, hostname: 'pi-zero', kernel: { release: '6.6', arch: 'armv6l' }, platform: null };
    const c = checkFacts(zero).find((x) => x.id === 'arch')!;
    expect(c.status).toBe('fail');
    expect(c.fix).toMatch(/^pi-zero is an ARMv6 board \(Pi Zero or Pi 1\): .*SIGILL/);
  });
});
