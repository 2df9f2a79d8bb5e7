import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../plan/types.ts';

export class SideloadError extends Error {
  override name = 'SideloadError';
}

/**
 * Brings an image the node cannot pull from this machine's docker: `docker save` here, copied over
 * SSH, `docker load` there. For air-gapped Pis and for the lab, whose nodes reach no registry.
 */
export async function sideloadImage(image: string, runner: Runner, dockerBin = 'docker'): Promise<void> {
  await sideloadImages([image], runner, dockerBin);
}

/** Several images in one archive: layers they share cross the wire once. */
export async function sideloadImages(images: string[], runner: Runner, dockerBin = 'docker'): Promise<void> {
  const image = images.join(' ');
  const dir = await mkdtemp(join(tmpdir(), 'edgefaas-sideload-'));
  const tar = join(dir, 'image.tar');
  try {
    await new Promise<void>((resolve, reject) => {
      const p = spawn(dockerBin, ['save', '-o', tar, ...images], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('error', reject);
      p.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(new SideloadError(`docker save ${image} failed on this machine (exit ${code}): ${err.trim()}; build or pull it here first`)),
      );
    });
    const remote = `/tmp/edgefaas-sideload-${process.pid}-${Date.now()}.tar`;
    await runner.upload(tar, remote, 0o600);
    const res = await runner.exec(`docker load -i ${remote}; rc=$?; rm -f ${remote}; exit $rc`, { sudo: true, timeoutMs: 15 * 60_000 });
    if (res.code !== 0) throw new SideloadError(`${runner.node}: docker load of ${image} failed: ${res.stderr.trim()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
