/**
 * bench/up: wall time of `edgefaas up --yes` from bare lab nodes, 1 node vs 3 nodes in the same run
 * (nodes are converged in parallel, so 3 should cost about what 1 does), and a second `up` over the
 * first (a re-run only probes). Last line: one JSON object.
 *
 *   npx tsx bench/up.ts        (root; uses lab "swarmtest" on 10.99.2.0/24, removed at the end)
 */
import { startLab } from '../test/support/lab.ts';
import { edgefaas, useLabImages } from '../test/swarm/support.ts';

async function measure(nodes: number): Promise<{ first: number; rerun: number }> {
  const lab = await startLab({ name: 'swarmtest', subnet: '10.99.2.0/24', nodes });
  try {
    await useLabImages(lab);
    const first = await edgefaas(lab, ['up', '--yes']);
    if (first.code !== 0) throw new Error(`up on ${nodes} node(s) failed:\n${first.stdout}\n${first.stderr}`);
    const rerun = await edgefaas(lab, ['up', '--yes']);
    if (rerun.code !== 0 || !rerun.stdout.includes('nothing to change')) throw new Error(`second up on ${nodes} node(s) was not a no-op:\n${rerun.stdout}`);
    console.error(`${nodes} node(s): first up ${(first.ms / 1000).toFixed(1)} s, second ${(rerun.ms / 1000).toFixed(1)} s`);
    return { first: first.ms, rerun: rerun.ms };
  } finally {
    await lab.stop();
  }
}

const one = await measure(1);
const three = await measure(3);
const round = (x: number) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify({
    up_1_s: round(one.first / 1000),
    up_3_s: round(three.first / 1000),
    rerun_3_s: round(three.rerun / 1000),
    up_3_over_1: round(three.first / one.first),
    rerun_over_first: round(three.rerun / three.first),
  }),
);
