/** `npx tsx kit/images/stage-all.ts`: stage node_modules for every platform (scripts/setup.d/images.sh). */
import { join } from 'node:path';
import { PLATFORMS } from './platforms.ts';
import { cacheDir } from './run.ts';
import { stageNodeModules } from './stage.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
for (const p of PLATFORMS) {
  const dir = await stageNodeModules({ platform: p, repoRoot, cacheDir: cacheDir(), log: (l) => console.error(`setup: ${l}`) });
  console.error(`setup: node_modules for ${p.debianArch} in ${dir}`);
}
