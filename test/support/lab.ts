import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDown, labUp, unusedAddress, type LabInfo, type LabUpOptions } from '../../kit/lab/index.ts';
import { holdLock } from '../../kit/lab/lock.ts';

/**
 * A fresh lab for an integration test: removes any leftover lab of that name, makes a new one with
 * its own EDGEFAAS_HOME (temp dir) and cluster.yaml inside it, and tears it all down after.
 *
 *   let lab: TestLab;
 *   beforeAll(async () => { lab = await startLab({ name: 'swarmtest', subnet: '10.99.2.0/24' }); });
 *   afterAll(() => lab?.stop());
 *   // lab.clusterFile, lab.env (EDGEFAAS_HOME set), lab.info.nodes[i].address, lab.password(), lab.unreachable
 *
 * Names in use: labtest / 10.99.1.0/24 (lab tests), swarmtest / 10.99.2.0/24 (swarm tests), tputscale /
 * 10.99.63.0/24 (test/scaling), tputlim / 10.99.64.0/24 (test/lab/limits), tputbench / 10.99.62.0/24 (bench/cluster), realw /
 * 10.99.43.0/24 (test/swarm/real-worlds).
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

/**
 * Several checkouts on one machine (engineers' worktrees, CI) run the same test labs on the one
 * dockerd: a lab's name is held until stop(), so a second run waits instead of tearing the first
 * one's lab down.
 */
function holdLabName(name: string): Promise<() => Promise<void>> {
  return holdLock(join(tmpdir(), `edgefaas-testlab-${name}.lock`), { waitMs: 40 * 60_000, pollMs: 2000, what: `test lab ${name}` });
}

type StartOptions = { name: string; subnet: string; nodes?: number; fresh?: boolean } & Pick<LabUpOptions, 'cpus' | 'memory' | 'pi' | 'os' | 'dockerMinApi' | 'registry'>;

export async function startLab(opts: StartOptions): Promise<TestLab> {
  const release = await holdLabName(opts.name);
  try {
    return await startHeldLab(opts, release);
  } catch (e) {
    await release();
    throw e;
  }
}

async function startHeldLab(opts: StartOptions, release: () => Promise<void>): Promise<TestLab> {
  const { fresh, nodes, ...hosts } = opts;
  if (fresh !== false) await labDown(opts.name);
  const home = await mkdtemp(join(tmpdir(), `edgefaas-${opts.name}-`));
  const clusterFile = join(home, 'cluster.yaml');
  const info = await labUp({ ...hosts, nodes: nodes ?? 3, clusterFile, home });
  return {
    name: opts.name,
    subnet: opts.subnet,
    home,
    clusterFile,
    env: { ...process.env, EDGEFAAS_HOME: home },
    info,
    unreachable: unusedAddress(opts.subnet),
    stop: async () => {
      try {
        await labDown(opts.name, { home });
        await rm(home, { recursive: true, force: true });
      } finally {
        await release();
      }
    },
  };
}

/** A command inside a lab node's container, as root (test inspection only, never the kit's path). */
export async function onNode(lab: TestLab, i: number, cmd: string): Promise<string> {
  return (await promisify(execFile)('docker', ['exec', lab.info.nodes[i]!.container, 'sh', '-c', cmd], { maxBuffer: 16 << 20 })).stdout;
}
