// Builds the lab node image ahead of time (scripts/setup.d/lab.sh), so `lab up` and tests start in seconds.
import { ensureNodeImage } from './image.ts';

const tag = await ensureNodeImage((l) => process.stderr.write(`${l}\n`));
process.stdout.write(`${tag}\n`);
