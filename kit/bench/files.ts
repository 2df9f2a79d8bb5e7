import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { plotSvg } from './plot.ts';
import { markdown } from './report.ts';
import type { BenchResult } from './run.ts';

/** bench-<function>-<time>.{md,json,svg} in dir; the time is the run's start, UTC, without colons. */
export async function writeBenchFiles(r: BenchResult, dir: string): Promise<{ md: string; json: string; svg: string }> {
  const stamp = r.started.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = join(dir, `bench-${r.function}-${stamp}`);
  const files = { md: `${base}.md`, json: `${base}.json`, svg: `${base}.svg` };
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(files.md, markdown(r));
  await fs.writeFile(files.json, JSON.stringify(r, null, 2) + '\n');
  await fs.writeFile(files.svg, await plotSvg(r.function, r.levels));
  return files;
}
