import { promises as fs } from 'node:fs';
import { docker } from './docker-cli.ts';
import { holdLock } from './lock.ts';
import type { LabLayout } from './names.ts';

/**
 * Lab hosts reachable by name, as Pis are on a LAN (pi-1.local): a block of /etc/hosts entries on this
 * machine and on every lab host, between markers that name the lab, so `lab down` removes exactly it.
 */
export const HOSTS_FILE = '/etc/hosts';

/** pi-1 of lab "demo" is pi-1.demo.lab. */
export function labHostName(lab: string, node: string): string {
  return `${node}.${lab}.lab`;
}

const begin = (lab: string) => `# edgefaas lab ${lab} begin`;
const end = (lab: string) => `# edgefaas lab ${lab} end`;

export function hostsBlock(layout: LabLayout): string {
  const lines = layout.nodes.map((n) => `${n.address}\t${labHostName(layout.name, n.name)}`);
  return [begin(layout.name), ...lines, end(layout.name)].join('\n');
}

/** `text` without lab's block, then with `block` appended when given; every other line kept as it was. */
export function withHostsBlock(text: string, lab: string, block?: string): string {
  const lines = text.split('\n');
  const from = lines.indexOf(begin(lab));
  const to = lines.indexOf(end(lab), from);
  const kept = from >= 0 && to >= from ? [...lines.slice(0, from), ...lines.slice(to + 1)] : lines;
  let out = kept.join('\n');
  if (block) out = `${out.replace(/\n*$/, '\n')}${block}\n`;
  return out;
}

/** Sets (block given) or removes lab's block in this machine's hosts file; true when it changed. */
export async function editHostsFile(lab: string, block?: string, file = HOSTS_FILE): Promise<boolean> {
  // Several labs (and checkouts) edit it: one at a time, in place (it may be a bind mount).
  const release = await holdLock('/tmp/edgefaas-etc-hosts.lock', { waitMs: 60_000, pollMs: 50, what: `${file}'s edit lock` });
  try {
    const old = await fs.readFile(file, 'utf8').catch(() => '');
    const next = withHostsBlock(old, lab, block);
    if (next === old) return false;
    await fs.writeFile(file, next);
    return true;
  } finally {
    await release();
  }
}

/** The same block inside a lab host's /etc/hosts (Docker writes that file when the container starts). */
export async function setHostsInContainer(container: string, lab: string, block: string): Promise<boolean> {
  const old = (await docker(['exec', container, 'cat', '/etc/hosts'])).stdout;
  const next = withHostsBlock(old, lab, block);
  if (next === old) return false;
  await docker(['exec', '-i', container, 'sh', '-c', 'cat > /etc/hosts'], { stdin: next });
  return true;
}
