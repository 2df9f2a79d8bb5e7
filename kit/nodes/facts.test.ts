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
    const checks = checkFacts({ ...f, clockSkewMs: 4200, swarm: parseSwarm('inactive|||false') });
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
    const checks = checkFacts({ ...f, clockSkewMs: 0, swarm: parseSwarm('active|abc|def|true') });
    expect(checks.find((c) => c.id === 'ports')!.detail).toBe('in use: 8080/tcp');
  });
});
