import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFunctionBuilt, FunctionBuildError, SOURCES_STAMP } from './function-build.ts';

const REPO = resolve(import.meta.dirname, '../..');

/**
 * A copy of the checkout's function/ (no dist/, as in a fresh clone) inside the repo, so tsc finds
 * node_modules: `images push` compiles it itself, again only when a source changed.
 */
describe('the function is compiled when dist/ is missing or stale', { timeout: 240_000 }, () => {
  let root: string;
  let app: string;
  beforeAll(async () => {
    await fs.mkdir(join(REPO, '.cache'), { recursive: true });
    root = await fs.mkdtemp(join(REPO, '.cache', 'fnbuild-'));
    app = join(root, 'function');
    await fs.cp(join(REPO, 'function', 'src'), join(app, 'src'), { recursive: true });
    await fs.copyFile(join(REPO, 'function', 'tsconfig.json'), join(app, 'tsconfig.json'));
    await fs.copyFile(join(REPO, 'tsconfig.json'), join(root, 'tsconfig.json'));
  });
  afterAll(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('builds dist/ from a fresh clone, then does nothing while the sources are the same', async () => {
    const lines: string[] = [];
    expect(await ensureFunctionBuilt(app, (l) => lines.push(l))).toBe(true);
    expect(lines.join('\n')).toContain('no build yet');
    const main = await fs.readFile(join(app, 'dist', 'main.js'), 'utf8');
    expect(main).not.toMatch(/from '\.\/[^']+\.ts'/);
    await expect(fs.access(join(app, 'dist', 'main.test.js'))).rejects.toThrow();
    expect(await ensureFunctionBuilt(app)).toBe(false);
  });

  it('rebuilds after a source changes, and the new code is what dist/ holds', async () => {
    const file = join(app, 'src', 'topk.ts');
    await fs.appendFile(file, '\nexport const CHANGED_FOR_TEST = 42;\n');
    const lines: string[] = [];
    expect(await ensureFunctionBuilt(app, (l) => lines.push(l))).toBe(true);
    expect(lines.join('\n')).toContain('sources changed');
    expect(await fs.readFile(join(app, 'dist', 'topk.js'), 'utf8')).toContain('CHANGED_FOR_TEST = 42');
    expect((await fs.readFile(join(app, 'dist', SOURCES_STAMP), 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a source that does not compile is a clear error naming the file, and nothing half-built is kept as good', async () => {
    await fs.appendFile(join(app, 'src', 'topk.ts'), '\nexport const broken: number = "text";\n');
    const err = await ensureFunctionBuilt(app).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FunctionBuildError);
    expect((err as Error).message).toMatch(/compiling the function failed[\s\S]*topk\.ts/);
    await expect(fs.access(join(app, 'dist', SOURCES_STAMP))).rejects.toThrow();
  });

  it('a folder with neither sources nor dist/ says what is missing', async () => {
    const empty = await fs.mkdtemp(join(root, 'empty-'));
    await expect(ensureFunctionBuilt(empty)).rejects.toThrow(/compiled function is missing .*no src\/ and tsconfig\.json/);
  });
});
