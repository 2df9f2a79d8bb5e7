import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextTar, FIXED_MTIME, type ContextSpec } from './context.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ctx-'));
  await mkdir(join(dir, 'src/b'), { recursive: true });
  await writeFile(join(dir, 'src/z.js'), 'z');
  await writeFile(join(dir, 'src/a.js'), 'a');
  await writeFile(join(dir, 'src/b/c.js.map'), 'map');
  await writeFile(join(dir, 'src/run.sh'), '#!/bin/sh', { mode: 0o700 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const spec = (): ContextSpec => ({
  dockerfile: 'FROM scratch\n',
  files: { 'layers/app/x/package.json': '{}' },
  parts: [{ from: join(dir, 'src'), to: 'layers/app/x/dist', skip: (rel) => rel.endsWith('.map') }],
});

async function entries(bytes: Buffer) {
  const out: Array<{ name: string; mtime?: Date; uid?: number; mode?: number }> = [];
  const ex = extract();
  const done = (async () => {
    for await (const e of ex) {
      out.push({ name: e.header.name, mtime: e.header.mtime, uid: e.header.uid, mode: e.header.mode });
      e.resume();
    }
  })();
  ex.end(bytes);
  await done;
  return out;
}

describe('build context', () => {
  it('is byte-identical for identical inputs, whatever the files mtimes', async () => {
    const first = await buffer(contextTar(spec()));
    await writeFile(join(dir, 'src/a.js'), 'a'); // same content, new mtime
    const second = await buffer(contextTar(spec()));
    expect(second.equals(first)).toBe(true);
  });

  it('holds every parent directory, sorted files, fixed mtime and root owner, and leaves out skipped files', async () => {
    const list = await entries(await buffer(contextTar(spec())));
    expect(list.map((e) => e.name)).toEqual([
      'Dockerfile',
      'layers/',
      'layers/app/',
      'layers/app/x/',
      'layers/app/x/package.json',
      'layers/app/x/dist/',
      'layers/app/x/dist/a.js',
      'layers/app/x/dist/b/',
      'layers/app/x/dist/run.sh',
      'layers/app/x/dist/z.js',
    ]);
    for (const e of list) {
      expect(e.mtime?.getTime()).toBe(FIXED_MTIME.getTime());
      expect(e.uid).toBe(0);
    }
    expect(list.find((e) => e.name.endsWith('run.sh'))?.mode).toBe(0o755);
    expect(list.find((e) => e.name.endsWith('a.js'))?.mode).toBe(0o644);
  });
});
