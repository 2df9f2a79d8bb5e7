#!/usr/bin/env -S npx tsx
/**
 * npm run demo: the whole rehearsal on a lab of hosts on this machine, as a user would type it:
 *   edgefaas lab up -> up -> images push -> deploy -> invoke
 * then prints the curl line. Needs root (the lab's hosts) and scripts/setup. Safe to re-run:
 * each step converges. The lab's cluster.yaml and stack.yml stay in .edgefaas/demo/.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const home = resolve(process.env.EDGEFAAS_DEMO_DIR || join(root, '.edgefaas', 'demo'));
const cluster = join(home, 'cluster.yaml');
const photos = process.env.EDGEFAAS_PHOTOS || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgefaas', 'photos');
const photo = join(photos, 'dog.jpg');
const env = { ...process.env, EDGEFAAS_HOME: home };

function edgefaas(args: string[]): Promise<string> {
  const line = `edgefaas --config ${cluster} ${args.join(' ')}`;
  console.log(`\n$ ${line}`);
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(root, 'bin/edgefaas.js'), '--config', cluster, ...args], { cwd: home, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      process.stdout.write(c);
    });
    child.on('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`demo: "${line}" failed (exit ${code}); fix what it says and run npm run demo again`))));
  });
}

try {
  if (process.getuid?.() !== 0) throw new Error('demo: run as root (the lab makes hosts on this machine); first run scripts/setup');
  await fs.access(photo).catch(() => {
    throw new Error(`demo: ${photo} is missing; run scripts/setup (it fetches darknet's sample photos)`);
  });
  await fs.mkdir(home, { recursive: true });
  // lab up writes cluster.yaml with the lab's openfaas section (stand-in gateway, Debian's registry).
  await edgefaas(['lab', 'up']);
  await edgefaas(['up', '--yes']);
  // No image registry is reachable here, so the base is built from Debian's packages (users get node:20-bookworm-slim).
  await edgefaas(['images', 'push', '--base', 'debian']);
  const deployed = await edgefaas(['deploy']);
  await edgefaas(['invoke', 'classify', photo]);
  const url = /try: curl --data-binary @cat\.jpg (\S+)\/function\//.exec(deployed)?.[1];
  console.log(`\nThe cluster answers. Try it yourself:\n\n  curl --data-binary @${photo} ${url ?? 'http://GATEWAY:8080'}/function/classify\n`);
  console.log(`Tear the lab down with: EDGEFAAS_HOME=${home} node bin/edgefaas.js --config ${cluster} lab down`);
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
