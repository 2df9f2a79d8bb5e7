import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Written into dist/ after a build: the hash of the sources it was compiled from. */
export const SOURCES_STAMP = '.sources.sha256';

export class FunctionBuildError extends Error {
  override name = 'FunctionBuildError';
}

/**
 * From a checkout, the function ships as TypeScript (function/src + function/tsconfig.json): compile
 * it into dist/ when dist is missing or was built from other sources, so `images push` needs no
 * separate build step. A folder without sources (a published package, a prebuilt app) must already
 * hold dist/. Returns true when it compiled.
 */
export async function ensureFunctionBuilt(appDir: string, log?: (line: string) => void): Promise<boolean> {
  const tsconfig = join(appDir, 'tsconfig.json');
  const hasSources = await exists(join(appDir, 'src')) && (await exists(tsconfig));
  if (!hasSources) {
    if (await exists(join(appDir, 'dist'))) return false;
    throw new FunctionBuildError(`the compiled function is missing (${join(appDir, 'dist')}) and ${appDir} has no src/ and tsconfig.json to build it from`);
  }
  const want = await sourcesHash(appDir);
  const have = await fs.readFile(join(appDir, 'dist', SOURCES_STAMP), 'utf8').catch(() => '');
  if (have.trim() === want) return false;
  log?.(`function: compiling ${relative(process.cwd(), appDir) || '.'}/src into dist/ (${have ? 'sources changed' : 'no build yet'})`);
  await fs.rm(join(appDir, 'dist'), { recursive: true, force: true });
  try {
    await run(process.execPath, [tscPath(), '-p', tsconfig], { cwd: appDir, maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const why = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n').slice(0, 10).join('\n') || err.message;
    throw new FunctionBuildError(`compiling the function failed (tsc -p ${tsconfig}):\n${why}`, { cause: e });
  }
  await fs.writeFile(join(appDir, 'dist', SOURCES_STAMP), `${want}\n`);
  return true;
}

/** Every file that decides what tsc emits: the sources (tests excluded, as tsconfig does) and both tsconfigs. */
async function sourcesHash(appDir: string): Promise<string> {
  const files = (await listFiles(join(appDir, 'src'))).filter((f) => !f.endsWith('.test.ts')).sort();
  const hash = createHash('sha256');
  for (const f of [...files, join(appDir, 'tsconfig.json'), join(appDir, '..', 'tsconfig.json')]) {
    const body = await fs.readFile(f).catch(() => Buffer.alloc(0));
    hash.update(`${relative(appDir, f)}\0${body.length}\0`).update(body);
  }
  return hash.digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function tscPath(): string {
  return createRequire(import.meta.url).resolve('typescript/bin/tsc');
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}
