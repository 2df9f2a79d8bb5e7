import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { docker } from './docker-cli.ts';
import { holdLock } from './lock.ts';
import { LabError } from './names.ts';

const run = promisify(execFile);

/**
 * Debian suites a lab host can run besides bookworm (scripts/build-base's): trixie brings docker.io 26,
 * whose daemon can raise its API floor as Docker 29 does. amd64 only; cached by recipe like build-base.
 */
export const LAB_SUITES = ['bookworm', 'trixie'] as const;
export type LabSuite = (typeof LAB_SUITES)[number];

/** The Debian mirror this machine's apt uses (no host is named in the project). */
async function debianMirror(): Promise<string> {
  const dir = '/etc/apt/sources.list.d';
  const files = [...(await fs.readdir(dir).catch(() => [] as string[])).map((f) => join(dir, f)), '/etc/apt/sources.list'];
  const texts = await Promise.all(files.map((f) => fs.readFile(f, 'utf8').catch(() => '')));
  const uris = texts.flatMap((t) => [...t.matchAll(/^(?:URIs:|deb)\s+(\S+)/gm)].map((m) => m[1]!));
  const uri = uris.find((u) => /\/debian\/?$/.test(u));
  if (!uri) throw new LabError('no Debian mirror found in /etc/apt: the lab builds its hosts from Debian packages');
  return uri;
}

/** A debootstrapped `suite` base with `packages`, as an image (FROM scratch); returns its reference. */
export async function suiteBase(suite: Exclude<LabSuite, 'bookworm'>, name: string, packages: string[], log: (l: string) => void): Promise<string> {
  const include = [...new Set(packages)].sort().join(',');
  const key = createHash('sha256').update(`${suite} amd64 ${include} minbase v1`).digest('hex').slice(0, 12);
  const ref = `edgefaas/base-${name}-${suite}:amd64-${key}`;
  const built = async () => (await docker(['image', 'inspect', ref], { allowFail: true })).code === 0;
  if (await built()) return ref;
  const cache = join(process.env.EDGEFAAS_CACHE || join(homedir(), '.cache', 'edgefaas'), 'base');
  const tarball = join(cache, `${name}-${suite}-amd64-${key}.tar`);
  await fs.mkdir(cache, { recursive: true });
  // One build per recipe at a time, as build-base's flock: a second lab up waits and reuses it.
  const release = await holdLock(join(cache, `.${name}-${suite}-amd64-${key}.lock.d`), { waitMs: 40 * 60_000, pollMs: 1000, what: `the ${suite} base build` });
  const work = await fs.mkdtemp(join(cache, 'work-'));
  try {
    if (await built()) return ref;
    if (!(await fs.stat(tarball).then((s) => s.size > 0, () => false))) {
      log(`debootstrap ${suite} (${include})`);
      const rootfs = join(work, 'rootfs');
      await run('debootstrap', ['--variant=minbase', '--arch=amd64', `--include=${include}`, suite, rootfs, await debianMirror()], { maxBuffer: 64 << 20, timeout: 30 * 60_000 }).catch(
        (e: { stdout?: string; message: string }) => {
          throw new LabError(`debootstrap ${suite} failed: ${(e.stdout || e.message).trim().split('\n').slice(-3).join(' ')}`);
        },
      );
      await run('sh', ['-c', 'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/tmp/*', 'sh', rootfs]);
      await run('tar', ['-C', rootfs, '--numeric-owner', '-cf', `${tarball}.part`, '.'], { maxBuffer: 16 << 20 });
      await fs.rename(`${tarball}.part`, tarball);
    }
    const ctx = join(work, 'ctx');
    await fs.mkdir(ctx);
    await fs.link(tarball, join(ctx, 'rootfs.tar')).catch(() => fs.copyFile(tarball, join(ctx, 'rootfs.tar')));
    await fs.writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nADD rootfs.tar /\nCMD ["/bin/bash"]\n');
    await docker(['build', '-q', '--platform', 'linux/amd64', '-t', ref, ctx], { timeoutMs: 600_000 });
    return ref;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
    await release();
  }
}
