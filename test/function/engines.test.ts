/**
 * ONNX Runtime and TensorFlow.js wasm give the same answers: the same ImageNet top-1 for every
 * darknet photo and (≥ 99.5 %) for the 200 dogs-vs-cats valid photos, from the same PIL-exact
 * preprocessing, with the largest softmax difference printed. And the engine is the one that
 * should start: ONNX Runtime here (linux x64), TensorFlow.js where the converted model is missing.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../function/src/engine/select.ts';
import { startOnnxRuntime } from '../../function/src/engine/onnx.ts';
import { startTfjs } from '../../function/src/engine/tfjs.ts';
import type { Base } from '../../function/src/engine/types.ts';
import { preprocess } from '../../function/src/preprocess.ts';
import { compareBases } from '../../scripts/onnx/compare.ts';
import { SOFTMAX_TOLERANCE } from '../../scripts/onnx/make.ts';
import { defaultModelDir } from '../../scripts/fetch-model.ts';
import { DOGS_VS_CATS, PHOTOS } from './support.ts';

const modelDir = defaultModelDir();
let wasm: Base;
let onnx: Base;

beforeAll(async () => {
  wasm = await (await startTfjs('wasm')).loadBase(modelDir);
  onnx = await (await startOnnxRuntime(1)).loadBase(modelDir);
}, 300_000);

async function* inputs(files: string[]) {
  for (const f of files) yield await preprocess(readFileSync(f));
}

describe('ONNX Runtime against tfjs-wasm on real photos', () => {
  it('every darknet photo gets the same top-1, softmax within the tolerance', async () => {
    const files = readdirSync(PHOTOS)
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .map((f) => join(PHOTOS, f));
    expect(files.length).toBeGreaterThanOrEqual(7);
    const r = await compareBases(wasm, onnx, inputs(files));
    console.log(`darknet photos: ${r.inputs}, top-1 differs on ${r.top1Differs}, max |softmax diff| ${r.maxAbsSoftmax.toExponential(2)}, max |feature diff| ${r.maxAbsFeature.toExponential(2)}`);
    expect(r.differing.map((i) => files[i])).toEqual([]);
    expect(r.maxAbsSoftmax).toBeLessThan(SOFTMAX_TOLERANCE);
  }, 900_000);

  it('at least 99.5 % of the 200 dogs-vs-cats valid photos get the same ImageNet top-1', async () => {
    const files = ['cat', 'dog'].flatMap((c) =>
      readdirSync(join(DOGS_VS_CATS, 'valid', c))
        .sort()
        .map((f) => join(DOGS_VS_CATS, 'valid', c, f)),
    );
    expect(files).toHaveLength(200);
    const r = await compareBases(wasm, onnx, inputs(files));
    console.log(`dogs-vs-cats valid: ${r.inputs}, top-1 differs on ${r.top1Differs} (${r.differing.map((i) => files[i]).join(', ') || 'none'}), max |softmax diff| ${r.maxAbsSoftmax.toExponential(2)}`);
    expect(r.inputs - r.top1Differs).toBeGreaterThanOrEqual(199);
    expect(r.maxAbsSoftmax).toBeLessThan(SOFTMAX_TOLERANCE);
  }, 1_800_000);
});

describe('which engine starts', () => {
  const work = mkdtempSync(join(tmpdir(), 'edgefaas-engines-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is ONNX Runtime on linux x64 when the converted model is there', async () => {
    const { engine, passedOver } = await startEngine({ modelDir });
    expect(engine.name).toBe('onnxruntime');
    expect(engine.threads).toBe(1);
    expect(passedOver).toEqual([]);
  });

  it('falls back to TensorFlow.js, saying why, when the model dir has no resnet50.onnx', async () => {
    // The Keras files only (links), as in a cache made before the converter existed.
    const bare = join(work, 'keras-only');
    mkdirSync(bare);
    for (const f of readdirSync(modelDir).filter((n) => !n.startsWith('resnet50.onnx'))) symlinkSync(join(modelDir, f), join(bare, f));
    const { engine, passedOver } = await startEngine({ modelDir: bare });
    expect(engine.name).toMatch(/^(tensorflow|wasm)$/);
    expect(passedOver[0]).toBe(`onnxruntime: no resnet50.onnx in ${bare} (\`npm run fetch-model\` makes it)`);
  });

  it('BACKEND= forces one, and an unknown name is refused with the choices', async () => {
    expect((await startEngine({ prefer: 'wasm', modelDir })).engine.name).toBe('wasm');
    await expect(startEngine({ prefer: 'tpu', modelDir })).rejects.toThrow('BACKEND=tpu is not an engine; choose one of onnxruntime, tensorflow, wasm, cpu');
  });
});
