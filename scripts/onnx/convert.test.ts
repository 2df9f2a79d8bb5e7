import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultModelDir } from '../fetch-model.ts';
import { convertKeras, type KerasTopology } from './convert.ts';
import { readKerasModel } from './keras.ts';
import { EXTRA_OUTPUTS, isOnnxCached, onnxRecipe } from './make.ts';

const modelDir = defaultModelDir();
const work = mkdtempSync(join(tmpdir(), 'edgefaas-onnx-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the Keras to ONNX converter', () => {
  it('gives the same bytes on every run, the ones fetch-model recorded for this recipe', async () => {
    const { topology, weights } = await readKerasModel(modelDir);
    const { sha256: recipe } = await onnxRecipe(modelDir);
    const a = createHash('sha256').update(convertKeras(topology, weights, { extraOutputs: EXTRA_OUTPUTS, producerVersion: recipe })).digest('hex');
    const b = createHash('sha256').update(convertKeras(topology, weights, { extraOutputs: EXTRA_OUTPUTS, producerVersion: recipe })).digest('hex');
    expect(a).toBe(b);
    expect(readFileSync(join(modelDir, 'resnet50.onnx.sha256'), 'utf8')).toBe(`${a}  resnet50.onnx\n`);
  }, 300_000);

  it('refuses a layer type it does not know, naming the layer', async () => {
    const { topology, weights } = await readKerasModel(modelDir);
    const t = structuredClone(topology) as KerasTopology;
    t.model_config.config.layers.find((l) => l.name === 'avg_pool')!.class_name = 'GlobalMaxPooling2D';
    expect(() => convertKeras(t, weights)).toThrow('layer avg_pool: GlobalMaxPooling2D is not supported by this converter');
  }, 300_000);

  it('is cached by recipe: the same files pass, a changed byte in the model does not', async () => {
    expect(await isOnnxCached(modelDir)).toBe(true);
    const dir = join(work, 'resnet50');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const f of readdirSync(modelDir)) {
      if (f === 'resnet50.onnx') copyFileSync(join(modelDir, f), join(dir, f));
      else symlinkSync(join(modelDir, f), join(dir, f));
    }
    expect(await isOnnxCached(dir)).toBe(true);
    const bytes = readFileSync(join(dir, 'resnet50.onnx'));
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(join(dir, 'resnet50.onnx'), bytes);
    expect(await isOnnxCached(dir)).toBe(false);
  }, 300_000);
});
