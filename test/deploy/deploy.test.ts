import { appendFile, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStack, stringifyStack } from '../../kit/openfaas/stack.ts';
import { startLab, type TestLab } from '../support/lab.ts';
import { buildFunction, edgefaasOnLab, PHOTOS, pushChangedFunction } from './support.ts';

const DATASET = '/work/shared/datasets/dogs-vs-cats/valid';

let lab: TestLab;
let gateway: string;

/** The real CLI as a user runs it, with the lab's home and this machine's caches (model, bases, photos). */
const edgefaas = (args: string[], timeoutMs?: number) => edgefaasOnLab(lab, args, timeoutMs);

async function classify(fn: string, photo: Buffer): Promise<{ status: number; label?: string }> {
  const res = await fetch(`${gateway}/function/${fn}`, { method: 'POST', body: new Uint8Array(photo), signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status };
  return { status: 200, label: (JSON.parse(text) as { predictions: Array<{ label: string }> }).predictions[0]!.label };
}

beforeAll(async () => {
  await buildFunction();
  lab = await startLab({ name: 'deploy', subnet: '10.99.6.0/24', nodes: 2 });
  // One replica per function (cluster.yaml's scale.min): the default, one per node, is test/scaling's.
  await appendFile(lab.clusterFile, 'scale:\n  min: 1\n');
  const up = await edgefaas(['up', '--yes']);
  if (up.code !== 0) throw new Error(`edgefaas up failed: ${up.stderr}\n${up.stdout}`);
  gateway = `http://${lab.info.nodes[0]!.address}:8080`;
}, 1_800_000);

afterAll(async () => {
  await lab?.stop();
});

describe('images, deploy and invoke on the lab', () => {
  it('images push builds for the platforms the nodes report and prints digest and size per platform', { timeout: 1_200_000 }, async () => {
    const r = await edgefaas(['images', 'push', '--base', 'debian']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^linux\/amd64\s+sha256:[0-9a-f]{64}\s+\d+\.\d MB/m);
    expect(r.stdout).toContain(`list          sha256:`);
    expect(r.stdout).toContain(`${lab.info.nodes[0]!.address}:5000/edgefaas/function:`);
  });

  it('deploy writes a stack.yml that round-trips, creates both functions, waits for them and passes the smoke test', { timeout: 1_200_000 }, async () => {
    const r = await edgefaas(['deploy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^classify: created, 1 replica\(s\), (malamute|Eskimo_dog|Siberian_husky) \d\.\d{3}$/m);
    expect(r.stdout).toMatch(/^catdog: created, 1 replica\(s\), dogs? \d\.\d{3}$/im);
    expect(r.stdout).toContain(`try: curl --data-binary @cat.jpg ${gateway}/function/classify`);
    const text = await readFile(join(lab.home, 'stack.yml'), 'utf8');
    const stack = parseStack(text, { env: {} });
    expect(stringifyStack(stack, text.split('\n')[0]!.slice(2))).toBe(text);
    expect(stack.functions.classify!.environment).toMatchObject({ MODEL: 'resnet50', exec_timeout: '60s', write_timeout: '65s' });
  });

  it('answers the right label through the gateway for both functions, as curl would', { timeout: 300_000 }, async () => {
    const dog = await readFile(join(PHOTOS, 'dog.jpg'));
    expect(await classify('classify', dog)).toEqual({ status: 200, label: 'malamute' });
    // Real photos it never trained on: 5 cats, 5 dogs; the head scores ~98% on this set.
    let right = 0;
    for (const kind of ['cat', 'dog']) {
      const files = (await readdir(join(DATASET, kind))).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).slice(0, 5);
      expect(files).toHaveLength(5);
      for (const f of files) if ((await classify('catdog', await readFile(join(DATASET, kind, f)))).label === kind) right++;
    }
    expect(right).toBeGreaterThanOrEqual(8);
    const inv = await edgefaas(['invoke', 'classify', join(PHOTOS, 'dog.jpg')]);
    expect(inv.stdout).toMatch(/^malamute 0\.\d{3}, Eskimo_dog 0\.\d{3}, Siberian_husky 0\.\d{3}\n$/);
  });

  it('keeps answering across a re-deploy after a one-line code change', { timeout: 1_200_000 }, async () => {
    const list = await pushChangedFunction(lab, (app) => appendFile(join(app, 'dist', 'main.js'), `\n// one-line change ${Date.now()}\n`));
    const dog = await readFile(join(PHOTOS, 'dog.jpg'));
    let stop = false;
    const answers: Array<{ status: number; label?: string }> = [];
    const caller = (async () => {
      while (!stop) answers.push(await classify('classify', dog).catch((e: Error) => ({ status: 0, label: e.message })));
    })();
    const r = await edgefaas(['deploy', '--function', 'classify', '--image', list.reference]);
    stop = true;
    await caller;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^classify: updated, 1 replica\(s\), malamute/m);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.label !== 'malamute')).toEqual([]);
    expect(await classify('classify', dog)).toEqual({ status: 200, label: 'malamute' });
  });
});
