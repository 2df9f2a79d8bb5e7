import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

/** This machine's CPU counters (/proc/stat's first line, in USER_HZ ticks) and when they were read. */
export interface MachineCpu {
  at: number;
  idle: number;
  total: number;
}

export interface CpuSample {
  machine: MachineCpu;
  /** CPU time each container used so far, in ns, by node name. */
  hosts: Map<string, number>;
}

export function machineCpu(): MachineCpu {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // idle + iowait count as idle; guest time is already inside user.
  return { at: Date.now(), idle: fields[3]! + (fields[4] ?? 0), total: fields.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/** A container's CPU time in ns from its cgroup (v1 cpuacct, or v2 cpu.stat's usage_usec). */
async function containerCpuNs(id: string): Promise<number | undefined> {
  const v1 = await readFile(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 'utf8').catch(() => undefined);
  if (v1) return Number(v1.trim());
  const v2 = await readFile(`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, 'utf8').catch(() => undefined);
  const usec = v2?.match(/^usage_usec (\d+)/m)?.[1];
  return usec ? Number(usec) * 1000 : undefined;
}

export async function hostCpu(hosts: Map<string, string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [name, id] of hosts) {
    const ns = await containerCpuNs(id);
    if (ns !== undefined) out.set(name, ns);
  }
  return out;
}
