import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDown, labUp, unusedAddress, type LabInfo } from '../../kit/lab/index.ts';

/**
 * A fresh lab for an integration test: removes any leftover lab of that name, makes a new one with
 * its own EDGEFAAS_HOME (temp dir) and cluster.yaml inside it, and tears it all down after.
 *
 *   let lab: TestLab;
 *   beforeAll(async () => { lab = await startLab({ name: 'swarmtest', subnet: '10.99.2.0/24' }); });
 *   afterAll(() => lab?.stop());
 *   // lab.clusterFile, lab.env (EDGEFAAS_HOME set), lab.info.nodes[i].address, lab.password(), lab.unreachable
 *
 * Names in use: labtest / 10.99.1.0/24 (lab tests), swarmtest / 10.99.2.0/24 (swarm tests).
 */
export interface TestLab {
  name: string;
  subnet: string;
  home: string;
  clusterFile: string;
  /** process.env plus EDGEFAAS_HOME pointing at this lab's temp home. */
  env: NodeJS.ProcessEnv;
  info: LabInfo;
  /** An address inside the lab subnet where nothing listens. */
  unreachable: string;
  stop(): Promise<void>;
}

export async function startLab(opts: { name: string; subnet: string; nodes?: number; fresh?: boolean }): Promise<TestLab> {
  if (opts.fresh !== false) await labDown(opts.name);
  const home = await mkdtemp(join(tmpdir(), `edgefaas-${opts.name}-`));
  const clusterFile = join(home, 'cluster.yaml');
  const info = await labUp({ name: opts.name, subnet: opts.subnet, nodes: opts.nodes ?? 3, clusterFile, home });
  return {
    name: opts.name,
    subnet: opts.subnet,
    home,
    clusterFile,
    env: { ...process.env, EDGEFAAS_HOME: home },
    info,
    unreachable: unusedAddress(opts.subnet),
    stop: async () => {
      await labDown(opts.name, { home });
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A command inside a lab node's container, as root (test inspection only, never the kit's path). */
export async function onNode(lab: TestLab, i: number, cmd: string): Promise<string> {
  return (await promisify(execFile)('docker', ['exec', lab.info.nodes[i]!.container, 'sh', '-c', cmd], { maxBuffer: 16 << 20 })).stdout;
}
