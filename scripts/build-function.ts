/**
 * npm run build:function: compile function/src into function/dist, as `images push` does, and only
 * when the sources changed since the last build (the same source stamp), so a build before a push is
 * never done twice.
 */
import { join } from 'node:path';
import { ensureFunctionBuilt } from '../kit/images/function-build.ts';

const app = join(import.meta.dirname, '..', 'function');
try {
  const built = await ensureFunctionBuilt(app, (line) => console.error(line));
  if (!built) console.error('function: dist/ is up to date with function/src');
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
