// Builds the lab's images ahead of time (scripts/setup.d/lab.sh), so `lab up` and tests start in seconds:
// the node image, and the stand-in gateway, registry, Prometheus and Alertmanager images up sideloads.
import { labOpenfaasSection } from './gateway/overrides.ts';
import { ensureNodeImage } from './image.ts';

const log = (l: string) => process.stderr.write(`${l}\n`);
const tag = await ensureNodeImage(log);
const openfaas = await labOpenfaasSection(log);
process.stdout.write(`${[tag, ...openfaas.sideload].join('\n')}\n`);
