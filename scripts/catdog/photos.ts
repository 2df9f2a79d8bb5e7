/** The dataset on disk: DATASET/{train,valid}/{cat,dog}/*.jpg as labelled samples. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CATDOG_LABELS } from '../../function/src/catdog.ts';

export interface Sample {
  file: string;
  label: number;
}

/** Photos of one split, cats then dogs, each in natural name order (cat.2 before cat.10). */
export async function listSplit(dataset: string, split: 'train' | 'valid'): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const [label, name] of CATDOG_LABELS.entries()) {
    const dir = join(dataset, split, name);
    const files = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`train-catdog: cannot list ${dir} (${err.code}); pass --dataset DIR holding {train,valid}/{cat,dog}/*.jpg`);
    });
    const photos = files.filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (photos.length === 0) throw new Error(`train-catdog: no photos in ${dir}; pass --dataset DIR holding {train,valid}/{cat,dog}/*.jpg`);
    for (const f of photos) samples.push({ file: join(dir, f), label });
  }
  return samples;
}
