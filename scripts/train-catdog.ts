#!/usr/bin/env -S npx tsx
/**
 * Trains the cats-vs-dogs head on ResNet50's pooled features:
 *   1. every photo of DATASET/{train,valid}/{cat,dog} -> the 2048 `avg_pool` features of the
 *      same base and preprocessing the function serves, cached by photo sha256;
 *   2. L2 and epochs chosen on a seeded 80/20 split of train only;
 *   3. the head retrained on all of train with them, written to function/models/catdog;
 *   4. accuracy, per-class precision/recall and the confusion matrix on valid (never used to
 *      train or choose), printed and written to metrics.json.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../function/src/backend.ts';
import { CATDOG_LABELS } from '../function/src/catdog.ts';
import { loadResNet50, type ResNet50 } from '../function/src/model.ts';
import { evaluate, formatReport, type Evaluation } from './catdog/evaluate.ts';
import { FeatureCache, featuresOf, modelIdentity } from './catdog/features.ts';
import { argmax, chooseSettings, headScores, LEARNING_RATE, splitIndices, trainHead, writeHead, type HeadSettings, type Tried } from './catdog/head.ts';
import { listSplit } from './catdog/photos.ts';
import { defaultModelDir } from './fetch-model.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_DATASET = join(REPO, '..', 'shared', 'datasets', 'dogs-vs-cats');
const DEFAULT_OUT = join(REPO, 'function', 'models', 'catdog');

export interface TrainOptions {
  dataset: string;
  out: string;
  modelDir: string;
  seed: number;
  cacheRoot?: string;
  log?: (m: string) => void;
}

export interface TrainResult {
  settings: HeadSettings;
  tried: Tried[];
  valid: Evaluation;
  headBytes: number;
}

export async function trainCatdog(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const identity = await modelIdentity(opts.modelDir);
  const train = await listSplit(opts.dataset, 'train');
  const valid = await listSplit(opts.dataset, 'valid');
  await initBackend(process.env.TFJS_BACKEND);
  const cache = new FeatureCache(identity, opts.cacheRoot);
  let resnet: ResNet50 | undefined;
  const base = async () => (resnet ??= await loadResNet50(opts.modelDir));
  try {
    const trainX = await featuresOf(train, cache, base, log);
    const validX = await featuresOf(valid, cache, base, log);
    resnet?.dispose();
    resnet = undefined;
    const trainY = train.map((s) => s.label);

    const split = splitIndices(trainY, 0.2, opts.seed);
    const { best, tried } = await chooseSettings(trainX, trainY, split, opts.seed);
    for (const t of tried) log(`train-catdog: l2=${t.settings.l2} epochs=${t.settings.epochs}: ${(t.accuracy * 100).toFixed(1)}% on the held-back 20% of train, loss ${t.loss.toFixed(4)}`);
    log(`train-catdog: chose l2=${best.l2} epochs=${best.epochs}; retraining on all ${train.length} train photos`);

    const head = await trainHead(trainX, trainY, { l2: best.l2, checkpoints: [best.epochs] }, opts.seed);
    const predicted = headScores(head, validX).map(argmax);
    const result = evaluate(valid, predicted, [...CATDOG_LABELS]);
    const headBytes = await writeHead(head, opts.out, {
      ...result,
      settings: { ...best, learning_rate: LEARNING_RATE, optimizer: 'adam', batch: 'full' },
      chosen_on: `seeded 80/20 split of train (seed ${opts.seed})`,
      seed: opts.seed,
      base: identity,
      train_photos: train.length,
    });
    head.dispose();
    return { settings: best, tried, valid: result, headBytes };
  } finally {
    resnet?.dispose();
  }
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string', default: process.env.CATDOG_DATASET ?? DEFAULT_DATASET },
      out: { type: 'string', default: DEFAULT_OUT },
      seed: { type: 'string', default: '4' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: scripts/train-catdog [--dataset DIR] [--out DIR] [--seed N]\n  DIR holds {train,valid}/{cat,dog}/*.jpg; the head goes to --out (default function/models/catdog)');
    return;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`train-catdog: --seed ${values.seed} is not a whole number`);
  const { valid, headBytes } = await trainCatdog({ dataset: values.dataset!, out: values.out!, modelDir: defaultModelDir(), seed });
  console.log(formatReport(valid));
  console.log(`head: ${values.out} (${(headBytes / 1024).toFixed(1)} kB), metrics in ${join(values.out!, 'metrics.json')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
