import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { docker } from '../docker-cli.ts';
import { LabError } from '../names.ts';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('./', import.meta.url));
const buildBase = fileURLToPath(new URL('../../../scripts/build-base', import.meta.url));

/** Builds a Debian base with `packages` for amd64 and returns its reference. */
export async function debianBase(name: string, packages: string[]): Promise<string> {
  try {
    const { stdout } = await run(buildBase, ['--arch', 'amd64', '--include', packages.join(','), '--name', name], { maxBuffer: 16 << 20 });
    return stdout.trim().split('\n').pop()!;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new LabError(`building the Debian base "${name}" failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}; run scripts/setup first`);
  }
}

/**
 * The lab registry image (Debian's docker-registry), tagged with the manager's loopback registry
 * prefix so Swarm never looks it up on Docker Hub. Reused when its inputs have not changed.
 */
export async function ensureRegistryImage(log: (line: string) => void = () => {}): Promise<string> {
  const base = await debianBase('registry', ['docker-registry']);
  const hash = createHash('sha256').update(base);
  for (const f of ['Dockerfile', 'config.yml']) hash.update(await fs.readFile(dir + f));
  const tag = `127.0.0.1:5000/edgefaas/lab-registry:${hash.digest('hex').slice(0, 12)}`;
  if ((await docker(['image', 'inspect', tag], { allowFail: true })).code === 0) return tag;
  log(`building lab registry image ${tag}`);
  await docker(['build', '-q', '--build-arg', `BASE=${base}`, '-t', tag, dir], { timeoutMs: 600_000 });
  return tag;
}
