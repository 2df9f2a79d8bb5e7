/** A Keras model as the converter takes it: topology and float32 weights by name, from a tfjs layers model directory. */
import { readLayersModelFiles, weightsByName } from '../../function/src/engine/files.ts';
import type { KerasTopology, Weights } from './convert.ts';

export async function readKerasModel(dir: string): Promise<{ topology: KerasTopology; weights: Weights }> {
  const files = await readLayersModelFiles(dir);
  return { topology: files.modelTopology as KerasTopology, weights: weightsByName(files) };
}
