/**
 * bench/doctor: wall time of doctor (connect + probe, fresh connections each round) on 3 lab nodes
 * over 1 node, measured side by side in one run (rounds interleaved, medians). Nodes are probed in
 * parallel, so the goal is doctor_3_over_1 <= 1.3. Last line: one JSON object.
 *
 *   npx tsx bench/doctor.ts        (root; uses lab "labtest" on 10.99.1.0/24, removed at the end)
 */
import { loadCluster } from '../kit/inventory/load.ts';
import { doctor } from '../kit/nodes/index.ts';
import { SshPool, poolOptionsFromCluster } from '../kit/ssh/index.ts';
import { startLab } from '../test/support/lab.ts';

const ROUNDS = 7;
const lab = await startLab({ name: 'labtest', subnet: '10.99.1.0/24', nodes: 3 });
try {
  const spec = await loadCluster(lab.clusterFile);
  const timeDoctor = async (names: string[]): Promise<number> => {
    const pool = new SshPool(poolOptionsFromCluster(spec, { env: lab.env }));
    const started = performance.now();
    const reports = await doctor(spec, pool, names);
    const ms = performance.now() - started;
    await pool.closeAll();
    const failed = reports.filter((r) => r.error);
    if (failed.length) throw new Error(`doctor failed: ${failed.map((r) => r.error).join('; ')}`);
    return ms;
  };
  await timeDoctor(['pi-1', 'pi-2', 'pi-3']); // warm-up: first connections, caches on the nodes
  const one: number[] = [];
  const three: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    one.push(await timeDoctor(['pi-1']));
    three.push(await timeDoctor(['pi-1', 'pi-2', 'pi-3']));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const m1 = median(one);
  const m3 = median(three);
  console.error(`doctor on 1 node: median ${m1.toFixed(0)} ms; on 3 nodes: median ${m3.toFixed(0)} ms (${ROUNDS} rounds each)`);
  console.log(JSON.stringify({ rounds: ROUNDS, doctor_1_node_ms: Math.round(m1), doctor_3_nodes_ms: Math.round(m3), doctor_3_over_1: Math.round((m3 / m1) * 1000) / 1000 }));
} finally {
  await lab.stop();
}
