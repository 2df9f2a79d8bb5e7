/**
 * The committed catdog head: small, and served from the ResNet50 the process already holds
 * (tensor memory is counted by tfjs itself, so a second base would show as ~100 MB more).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../function/src/backend.ts';
import { loadClassifier, type Classifier } from '../../function/src/classifier.ts';
import { startTfjs } from '../../function/src/engine/tfjs.ts';
import { loadResNet50 } from '../../function/src/model.ts';
import { preprocess } from '../../function/src/preprocess.ts';
import { defaultModelDir } from '../../scripts/fetch-model.ts';
import { DOGS_VS_CATS, REPO } from '../function/support.ts';

const HEAD_DIR = join(REPO, 'function', 'models', 'catdog');
const validDog = () => {
  const dir = join(DOGS_VS_CATS, 'valid', 'dog');
  return readFileSync(join(dir, readdirSync(dir).sort()[0]!));
};

let baseBytes = 0;
let before = 0;
let classifier: Classifier;

beforeAll(async () => {
  const engine = await startTfjs(process.env.TFJS_BACKEND);
  before = tf.memory().numBytes;
  const base = await loadResNet50(defaultModelDir());
  baseBytes = tf.memory().numBytes - before;
  base.dispose();
  classifier = await loadClassifier(engine, 'catdog', defaultModelDir(), HEAD_DIR);
});

afterAll(() => {
  tf.disposeVariables();
});

describe('the catdog head in function/models/catdog', () => {
  it('adds under 100 kB to the image (every file of the head, metrics included)', () => {
    const files = readdirSync(HEAD_DIR);
    expect(files.sort()).toEqual(['labels.json', 'metrics.json', 'model.json', 'weights.bin']);
    const bytes = files.reduce((n, f) => n + statSync(join(HEAD_DIR, f)).size, 0);
    expect(bytes).toBeLessThan(100 * 1024);
  });

  it('records ≥ 97% accuracy on the 200 valid photos, with a confusion matrix that adds up to them', () => {
    const m = JSON.parse(readFileSync(join(HEAD_DIR, 'metrics.json'), 'utf8'));
    expect(m.photos).toBe(200);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(m.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(200);
    expect(m.confusion[0][0] + m.confusion[1][1]).toBe(Math.round(m.accuracy * 200));
  });

  it('serves catdog and resnet50 from one loaded base: the head adds under 100 kB of tensors', () => {
    expect(baseBytes).toBeGreaterThan(90e6);
    const held = tf.memory().numBytes - before;
    expect(held - baseBytes).toBeGreaterThan(0);
    expect(held - baseBytes).toBeLessThan(100 * 1024);
    expect(Object.keys(classifier.models).sort()).toEqual(['catdog', 'resnet50']);
  });

  it('one classifier answers both: cat/dog scores from the head, and the 1000 ImageNet scores that its imagenet_top1 comes from', async () => {
    const input = await preprocess(validDog());
    const catdog = await classifier.classify(input);
    const imagenet = await classifier.classify(input, 'resnet50');
    expect(catdog.scores).toHaveLength(2);
    expect(catdog.scores[1]).toBeGreaterThan(0.5);
    expect(imagenet.scores).toHaveLength(1000);
    const best = imagenet.scores.indexOf(Math.max(...imagenet.scores));
    expect(catdog.imagenetTop1).toMatchObject({ class: best, label: classifier.models.resnet50![best] });
    expect(imagenet.imagenetTop1).toBeUndefined();
  });
});
