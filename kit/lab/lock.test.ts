import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdLock } from './lock.ts';

const opts = { waitMs: 1000, pollMs: 20, what: 'the test lock' };

describe('machine-wide lock', () => {
  it('makes a second holder wait until the first releases', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'edgefaas-lock-')), 'l');
    const release = await holdLock(dir, opts);
    const order: string[] = [];
    const second = holdLock(dir, opts).then((r) => (order.push('second holds'), r));
    await new Promise((r) => setTimeout(r, 100));
    order.push('first releases');
    await release();
    await (await second)();
    expect(order).toEqual(['first releases', 'second holds']);
  });

  it('takes over a lock whose holder has died, and names a live holder when it gives up', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'edgefaas-lock-')), 'l');
    await mkdir(dir);
    await writeFile(join(dir, 'pid'), String(spawnSync('true').pid));
    const release = await holdLock(dir, opts);
    await expect(holdLock(dir, { ...opts, waitMs: 200 })).rejects.toThrow(`the test lock is held by process ${process.pid} (${dir}) for over 0.2 s`);
    await release();
  });
});
