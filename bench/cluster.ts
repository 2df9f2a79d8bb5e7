/**
 * bench/cluster: does the cluster serve with all its nodes? classify at concurrency 20 through the
 * gateway, on 1 replica (one Pi-sized node) and then on 3 replicas (one per node), in the same run
 * on the same lab of `--cpus 0.5` hosts. Last line: one JSON object
 *   throughput_3_over_1  images/s at c20 on 3 nodes / on 1 node (goal >= 2.5)
 *   c20_non2xx           non-2xx answers at c20 on 3 nodes (goal 0); c20_non2xx_1 the same on 1
 *   nodes_3              where the 3 replicas ran (one per node expected)
 *   loadavg_*            this machine's 1-minute load before and after (it is shared: read the ratio with it)
 *   machine_busy_1/_3    share of this machine's CPU in use during each measurement (1 = every core busy:
 *                        then the 3-node figure is bound by the machine, not by the cluster)
 *   host_cores_1/_3      CPU each lab host used during each measurement, in cores (each is capped at 0.5)
 *
 *   npx tsx bench/cluster.ts                          (root; makes lab "tputbench" on 10.99.62.0/24, removes it after)
 *   BENCH_CLUSTER=/path/cluster.yaml npx tsx bench/cluster.ts   (a lab already up with classify deployed; kept)
 * Env: BENCH_N requests per measurement (default 200: with random routing to replicas, a
 * short run's figure is set by the unluckiest replica's share rather than by the cluster's rate), PHOTO (default darknet's dog.jpg).
 */
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { homedir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { runBench } from '../kit/bench/index.ts';
import { hostCpu, machineCpu, type CpuSample } from './cpu-use.ts';
import { loadCluster } from '../kit/inventory/load.ts';
import { toDeployment } from '../kit/openfaas/deployment.ts';
import { readStack } from '../kit/openfaas/stack.ts';
import { gatewayFor, resolveGatewayUrl } from '../kit/openfaas/target.ts';
import { startLab, type TestLab } from '../test/support/lab.ts';

const ROOT = resolve(import.meta.dirname, '..');
const N = Number(process.env.BENCH_N ?? 200);
const photoPath = process.env.PHOTO ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgefaas', 'photos', 'dog.jpg');
const log = (line: string) => console.error(`bench: ${line}`);
const run = promisify(execFile);

function edgefaas(cluster: string, env: NodeJS.ProcessEnv, args: string[]): Promise<void> {
  log(`edgefaas ${args.join(' ')}`);
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/edgefaas.js'), '--config', cluster, ...args], { cwd: dirname(cluster), env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`edgefaas ${args.join(' ')} failed (exit ${code})`))));
  });
}

/** A lab of three half-CPU hosts with classify alone deployed (catdog would share each host's half CPU). */
async function makeLab(): Promise<{ cluster: string; env: NodeJS.ProcessEnv; lab: TestLab }> {
  const lab = await startLab({ name: 'tputbench', subnet: '10.99.62.0/24', nodes: 3, cpus: 0.5 });
  const spec = parse(await readFile(lab.clusterFile, 'utf8'));
  spec.functions = [{ name: 'classify', model: 'resnet50' }];
  await writeFile(lab.clusterFile, stringify(spec));
  const env = { ...lab.env, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME || join(homedir(), '.cache') };
  await edgefaas(lab.clusterFile, env, ['up', '--yes']);
  await edgefaas(lab.clusterFile, env, ['images', 'push', '--base', 'debian']);
  await edgefaas(lab.clusterFile, env, ['deploy']);
  return { cluster: lab.clusterFile, env, lab };
}

/** Which lab host each running classify task is on, read on the manager (test inspection, not the kit's path). */
async function taskNodes(manager: string): Promise<string[]> {
  const out = await run('docker', ['exec', manager, 'docker', 'service', 'ps', 'classify', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']);
  return out.stdout.trim().split('\n').filter((l) => / Running /.test(l)).map((l) => l.split(' ')[0]!).sort();
}

/** The lab's host containers (named edgefaas-lab-LAB-pi-N, as the manager is), by node name. */
async function labHosts(manager: string): Promise<Map<string, string>> {
  const prefix = manager.replace(/pi-1$/, '');
  const out = await run('docker', ['ps', '--filter', `name=^${prefix}`, '--format', '{{.ID}} {{.Names}}', '--no-trunc']);
  return new Map(out.stdout.trim().split('\n').filter(Boolean).map((l) => { const [id, name] = l.split(' '); return [name!.slice(prefix.length), id!]; }));
}

/** Machine busy share and each host's cores between two CPU samples. */
function cpuUse(a: CpuSample, b: CpuSample): { machine: number; hosts: Record<string, number> } {
  const seconds = (b.machine.at - a.machine.at) / 1000;
  const hosts: Record<string, number> = {};
  for (const [name, ns] of b.hosts) hosts[name] = Math.round(((ns - (a.hosts.get(name) ?? ns)) / 1e9 / seconds) * 100) / 100;
  const total = b.machine.total - a.machine.total;
  return { machine: total > 0 ? Math.round((1 - (b.machine.idle - a.machine.idle) / total) * 100) / 100 : 0, hosts };
}

const given = process.env.BENCH_CLUSTER;
const made = given ? undefined : await makeLab();
const cluster = given ? resolve(given) : made!.cluster;
const env = given ? process.env : made!.env;
try {
  const spec = await loadCluster(cluster);
  const manager = `edgefaas-lab-${process.env.BENCH_LAB ?? 'tputbench'}-pi-1`;
  const gateway = await gatewayFor(await resolveGatewayUrl({ env, spec }), spec, env);
  const photo = await readFile(photoPath);
  // The stack's alert scaling would add replicas under this load: pin min = max for each measurement
  // (a PUT of the deployed stack.yml's classify with other scale labels), and put it back after.
  const deployed = toDeployment('classify', (await readStack(join(dirname(cluster), 'stack.yml'), env)).functions.classify!);
  const pin = (n: number) => gateway.deployFunction({ ...deployed, labels: { ...deployed.labels, 'com.openfaas.scale.min': String(n), 'com.openfaas.scale.max': String(n) } });
  const load0 = loadavg()[0]!;
  const measure = async (replicas: number) => {
    log(`classify pinned to ${replicas} replica(s): wait, warm, then ${N} requests at concurrency 20`);
    await pin(replicas);
    // A start-first update runs old and new tasks side by side for a while: wait for exactly n, steadily.
    for (let steady = 0, deadline = Date.now() + 900_000; steady < 3; ) {
      if (Date.now() > deadline) throw new Error(`classify did not settle at ${replicas} replica(s) in 15 min`);
      steady = (await gateway.getFunction('classify')).availableReplicas === replicas ? steady + 1 : 0;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const hosts = await labHosts(manager);
    const cpu0 = { machine: machineCpu(), hosts: await hostCpu(hosts) };
    const r = await runBench({ gateway, function: 'classify', photo, photoName: photoPath, levels: [20], requests: N, cold: false, timeoutMs: 120_000, readyTimeoutMs: 900_000, log });
    const busy = cpuUse(cpu0, { machine: machineCpu(), hosts: await hostCpu(hosts) });
    const nodes = await taskNodes(manager).catch(() => []);
    const l = r.levels[0]!;
    log(`${replicas} replica(s) on ${nodes.join(', ') || '?'}: ${l.throughput} img/s, p50 ${l.p50_ms} ms, non-2xx ${l.non2xx} ${JSON.stringify(l.errors)}; machine CPU ${Math.round(busy.machine * 100)}% busy, hosts ${JSON.stringify(busy.hosts)} cores`);
    return { level: l, nodes, busy };
  };
  const one = await measure(1);
  const three = await measure(3);
  await gateway.deployFunction(deployed);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({
      throughput_1: one.level.throughput,
      throughput_3: three.level.throughput,
      throughput_3_over_1: one.level.throughput > 0 ? r2(three.level.throughput / one.level.throughput) : null,
      c20_non2xx: three.level.non2xx,
      c20_non2xx_1: one.level.non2xx,
      p50_ms_1: one.level.p50_ms,
      p50_ms_3: three.level.p50_ms,
      predict_ms_1: one.level.split.predict_ms,
      predict_ms_3: three.level.split.predict_ms,
      nodes_1: one.nodes,
      nodes_3: three.nodes,
      requests: N,
      machine_busy_1: one.busy.machine,
      machine_busy_3: three.busy.machine,
      host_cores_1: one.busy.hosts,
      host_cores_3: three.busy.hosts,
      loadavg_before: r2(load0),
      loadavg_after: r2(loadavg()[0]!),
    }),
  );
} finally {
  await made?.lab.stop();
}
