import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docker } from './docker-cli.ts';
import { debianBase } from './registry/image.ts';
import { suiteBase, type LabSuite } from './suite-base.ts';

const nodeDir = fileURLToPath(new URL('./node/', import.meta.url));

/** What every lab node's root filesystem holds before the kit touches it: what a fresh Pi OS has. */
export const NODE_PACKAGES = ['openssh-server', 'sudo', 'iproute2', 'procps', 'ca-certificates', 'iptables', 'kmod', 'curl', 'gnupg', 'lsb-release', 'util-linux'];

/** Builds (or reuses) the lab node image: a debootstrapped base plus kit/lab/node. Returns its tag. */
export async function ensureNodeImage(log: (line: string) => void = () => {}, suite: LabSuite = 'bookworm'): Promise<string> {
  const base = suite === 'bookworm' ? await debianBase('labnode', NODE_PACKAGES) : await suiteBase(suite, 'labnode', NODE_PACKAGES, log);
  const hash = createHash('sha256').update(base);
  for (const f of (await fs.readdir(nodeDir)).sort()) hash.update(f).update(await fs.readFile(nodeDir + f));
  const tag = `edgefaas/labnode:${hash.digest('hex').slice(0, 12)}`;
  if ((await docker(['image', 'inspect', tag], { allowFail: true })).code === 0) return tag;
  log(`building lab node image ${tag}`);
  await docker(['build', '-q', '--build-arg', `BASE=${base}`, '-t', tag, nodeDir], { timeoutMs: 600_000 });
  return tag;
}
