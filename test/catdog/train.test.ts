/**
 * scripts/train-catdog on a small slice of the real dataset: real photos, the real ResNet50
 * features, a real tfjs head written where the function loads it from.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatdogHead } from '../../function/src/catdog.ts';
import { defaultModelDir } from '../../scripts/fetch-model.ts';
import { evaluate, formatReport } from '../../scripts/catdog/evaluate.ts';
import { splitIndices } from '../../scripts/catdog/head.ts';
import type { Sample } from '../../scripts/catdog/photos.ts';
import { trainCatdog } from '../../scripts/train-catdog.ts';
import { DOGS_VS_CATS } from '../function/support.ts';

let work: string;
const dataset = () => join(work, 'data');
const cacheRoot = () => join(work, 'features');

/** A copy of the first `n` photos of each class and split: enough to train on, quick to extract. */
async function slice(n: number): Promise<void> {
  for (const split of ['train', 'valid']) {
    for (const cls of ['cat', 'dog']) {
      const from = join(DOGS_VS_CATS, split, cls);
      const names = (await readdir(from)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).slice(0, n);
      await mkdir(join(dataset(), split, cls), { recursive: true });
      for (const name of names) await cp(join(from, name), join(dataset(), split, cls, name));
    }
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'catdog-train-'));
  await slice(4);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('scripts/train-catdog', () => {
  it('writes a head the function loads (2048 features -> cat, dog), with its metrics, and a re-run reads features from the cache and gives the same bytes', async () => {
    const lines: string[] = [];
    const out = join(work, 'head-1');
    const first = await trainCatdog({ dataset: dataset(), out, modelDir: defaultModelDir(), seed: 4, cacheRoot: cacheRoot(), log: (l) => lines.push(l) });
    expect(lines.filter((l) => /extracting features of 8 photo\(s\), 0 cached/.test(l))).toHaveLength(2);
    expect((await readdir(out)).sort()).toEqual(['labels.json', 'metrics.json', 'model.json', 'weights.bin']);
    const { head, labels } = await loadCatdogHead(out);
    expect(labels).toEqual(['cat', 'dog']);
    head.dispose();
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ photos: 8, labels: ['cat', 'dog'], seed: 4, train_photos: 8, accuracy: first.valid.accuracy });
    expect(metrics.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(8);

    const again: string[] = [];
    const out2 = join(work, 'head-2');
    await trainCatdog({ dataset: dataset(), out: out2, modelDir: defaultModelDir(), seed: 4, cacheRoot: cacheRoot(), log: (l) => again.push(l) });
    expect(again.join('\n')).not.toMatch(/extracting features/);
    expect(await readFile(join(out2, 'weights.bin'))).toEqual(await readFile(join(out, 'weights.bin')));
    expect(await readFile(join(out2, 'model.json'), 'utf8')).toBe(await readFile(join(out, 'model.json'), 'utf8'));
  }, 600_000);

  it('a dataset folder without photos is refused, naming the folder and the flag, and the old head is left as it was', async () => {
    const out = join(work, 'head-1');
    const before = await readFile(join(out, 'weights.bin'));
    await rm(join(dataset(), 'valid', 'dog'), { recursive: true });
    await expect(trainCatdog({ dataset: dataset(), out, modelDir: defaultModelDir(), seed: 4, cacheRoot: cacheRoot(), log: () => {} })).rejects.toThrow(
      `train-catdog: cannot list ${join(dataset(), 'valid', 'dog')} (ENOENT); pass --dataset DIR holding {train,valid}/{cat,dog}/*.jpg`,
    );
    expect(await readFile(join(out, 'weights.bin'))).toEqual(before);
  });

  it('a photo that is not an image is named in the error', async () => {
    const bad = join(dataset(), 'train', 'cat', 'cat.9999.jpg');
    await mkdir(join(dataset(), 'valid', 'dog'), { recursive: true });
    await cp(join(DOGS_VS_CATS, 'valid', 'dog', (await readdir(join(DOGS_VS_CATS, 'valid', 'dog')))[0]!), join(dataset(), 'valid', 'dog', 'dog.1.jpg'));
    await writeFile(bad, 'not a photo');
    await expect(trainCatdog({ dataset: dataset(), out: join(work, 'head-3'), modelDir: defaultModelDir(), seed: 4, cacheRoot: cacheRoot(), log: () => {} })).rejects.toThrow(
      new RegExp(`cannot read ${bad}: not an image.*remove or replace the photo`),
    );
    await rm(bad);
  }, 120_000);
});

describe('choosing settings on train only', () => {
  it('splits each class 80/20, the same way for the same seed, and differently for another', () => {
    const labels = [...Array(500).fill(0), ...Array(500).fill(1)];
    const a = splitIndices(labels, 0.2, 4);
    expect(a.check).toHaveLength(200);
    expect(a.check.filter((i) => labels[i] === 1)).toHaveLength(100);
    expect(new Set([...a.fit, ...a.check]).size).toBe(1000);
    expect(splitIndices(labels, 0.2, 4)).toEqual(a);
    expect(splitIndices(labels, 0.2, 5).check).not.toEqual(a.check);
  });
});

describe('the valid report', () => {
  it('counts the confusion matrix as rows actual, columns predicted, with per-class precision and recall', () => {
    const s = (label: number, i: number): Sample => ({ file: `/d/valid/${label ? 'dog' : 'cat'}/${i}.jpg`, label });
    // 3 cats (one called dog), 2 dogs (both right).
    const e = evaluate([s(0, 1), s(0, 2), s(0, 3), s(1, 4), s(1, 5)], [0, 1, 0, 1, 1], ['cat', 'dog']);
    expect(e.confusion).toEqual([
      [2, 1],
      [0, 2],
    ]);
    expect(e.accuracy).toBe(0.8);
    expect(e.per_class).toEqual({ cat: { precision: 1, recall: 0.6667 }, dog: { precision: 0.6667, recall: 1 } });
    expect(e.misclassified).toEqual([{ photo: 'cat/2.jpg', label: 'cat', predicted: 'dog' }]);
    expect(formatReport(e)).toContain('valid: 5 photos, accuracy 80.0%');
  });
});
