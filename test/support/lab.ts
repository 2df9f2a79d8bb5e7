import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDown, labUp, unusedAddress, type LabInfo, type LabUpOptions } from '../../kit/lab/index.ts';

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

/**
 * Several checkouts on one machine (engineers' worktrees, CI) run the same test labs on the one
 * dockerd: a lab's name is held by a lock directory until stop(), so a second run waits instead of
 * tearing the first one's lab down. A lock whose process is gone is taken over.
 */
async function holdLabName(name: string, waitMs = 40 * 60_000): Promise<() => Promise<void>> {
  const dir = join(tmpdir(), `edgefaas-testlab-${name}.lock`);
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'pid'), String(process.pid));
      return () => rm(dir, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => ''));
    if (pid && !alive(pid)) await rm(dir, { recursive: true, force: true });
    else if (Date.now() > until) throw new Error(`test lab ${name} is held by process ${pid || '?'} (${dir}) for over ${waitMs / 60_000} min`);
    else await new Promise((r) => setTimeout(r, 2000));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
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
