import { Command } from 'commander';
import { LAB_DEFAULTS, labDown, labStatus, labUp } from '../lab/index.ts';
import type { LabSuite } from '../lab/suite-base.ts';
import { contextOf } from './context.ts';
import { UsageError } from './errors.ts';

function nodeCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new UsageError(`--nodes must be a whole number 1 to 20, got "${v}"`);
  return n;
}

function cpuShare(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 64) throw new UsageError(`--cpus must be a number above 0, like 0.5, got "${v}"`);
  return n;
}

/** Repeatable NODE=VALUE (--os pi-2=trixie, --docker-min-api pi-2=1.44). */
function perNode(flag: string) {
  return (v: string, prev: Record<string, string>): Record<string, string> => {
    const m = /^([a-z0-9-]+)=(\S+)$/.exec(v.trim());
    if (!m) throw new UsageError(`${flag} takes NODE=VALUE (e.g. pi-2=${flag === '--os' ? 'trixie' : '1.44'}), got "${v}"`);
    return { ...prev, [m[1]!]: m[2]! };
  };
}

export function makeLabCommand(): Command {
  const lab = new Command('lab').description('a local lab of Debian hosts on this machine to rehearse on (needs root)');
  lab
    .command('up')
    .description('make N lab hosts (sshd, user pi with sudo, no Docker) and write cluster.yaml for them')
    .option('--nodes <n>', 'how many hosts', nodeCount, LAB_DEFAULTS.nodes)
    .option('--name <name>', 'lab name (labs with different names and subnets coexist)', LAB_DEFAULTS.name)
    .option('--subnet <cidr>', 'the lab LAN, a /24', LAB_DEFAULTS.subnet)
    .option('--cpus <n>', "each host's CPU share, Pi-sized (e.g. 0.5; Docker's --cpus)", cpuShare)
    .option('--memory <size>', "each host's memory, Pi-sized (e.g. 1g; Docker's --memory, no swap)")
    .option('--pi', 'Raspberry Pi OS hosts: /boot/firmware/cmdline.txt, memory cgroup off until it asks, reboot restarts the host')
    .option('--registry <where>', 'manager (up runs the LAN registry) or external (the lab runs an existing registry: HTTPS from a private CA, basic auth)', registryKind)
    .option('--os <node=suite>', 'a host on another Debian: trixie (docker.io 26) instead of bookworm (repeatable)', perNode('--os'), {})
    .option('--docker-min-api <node=version>', "a host whose dockerd refuses clients below this API, as Docker 29 does (1.44; a trixie host; repeatable)", perNode('--docker-min-api'), {})
    .action(async (o: { nodes: number; name: string; subnet: string; cpus?: number; memory?: string; pi?: boolean; os: Record<string, string>; dockerMinApi: Record<string, string>; registry?: 'manager' | 'external' }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const info = await labUp({
        name: o.name, subnet: o.subnet, nodes: o.nodes, cpus: o.cpus, memory: o.memory, pi: o.pi, registry: o.registry, clusterFile: ctx.opts.config, log: ctx.info,
        os: o.os as Record<string, LabSuite>, dockerMinApi: o.dockerMinApi,
      });
      const rows = info.nodes.map((n) => `  ${n.name.padEnd(8)} ${n.address.padEnd(15)} ssh -F ${info.files.sshConfigFile} ${info.name}-${n.name}  (or ${n.hostName})`);
      ctx.result(
        { name: info.name, subnet: info.subnet, changed: info.changed, clusterFile: info.clusterFile, sshConfig: info.files.sshConfigFile, nodes: info.nodes },
        [`lab ${info.name} ${info.changed ? 'is up' : 'was already up (nothing changed)'} on ${info.subnet}:`, ...rows, `cluster file: ${info.clusterFile}`, 'next: edgefaas doctor'].join('\n'),
      );
    });
  lab
    .command('down')
    .description("remove everything lab NAME made (hosts, their disks, its network, files); nothing else")
    .option('--name <name>', 'lab name', LAB_DEFAULTS.name)
    .action(async (o: { name: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const res = await labDown(o.name, { log: ctx.debug });
      ctx.result(res, res.removed.length ? `lab ${o.name} removed:\n${res.removed.map((r) => `  ${r}`).join('\n')}` : `no lab named ${o.name}: nothing to remove`);
    });
  lab
    .command('status')
    .description('list the lab hosts, their addresses and what runs on each')
    .option('--name <name>', 'lab name', LAB_DEFAULTS.name)
    .action(async (o: { name: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const nodes = await labStatus(o.name);
      const table = [
        `${'NODE'.padEnd(8)} ${'ADDRESS'.padEnd(15)} ${'STATE'.padEnd(8)} RUNNING`,
        ...nodes.map((n) => `${n.node.padEnd(8)} ${n.address.padEnd(15)} ${n.state.padEnd(8)} ${n.running.join(', ') || '-'}`),
      ].join('\n');
      ctx.result({ name: o.name, nodes }, nodes.length ? table : `no lab named ${o.name}; run: edgefaas lab up`);
    });
  return lab;
}

function registryKind(v: string): 'manager' | 'external' {
  if (v === 'manager' || v === 'external') return v;
  throw new UsageError(`--registry: expected manager or external, got "${v}"`);
}
