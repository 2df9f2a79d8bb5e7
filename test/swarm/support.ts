import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { debianBase } from '../../kit/lab/registry/image.ts';
import type { TestLab } from '../support/lab.ts';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/edgefaas.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The real CLI as a child process (no TTY), with the lab's EDGEFAAS_HOME. */
export function edgefaas(lab: TestLab, args: string[], o: { config?: string; timeoutMs?: number } = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, '--config', o.config ?? lab.clusterFile, ...args],
      { cwd: lab.home, env: { PATH: process.env.PATH ?? '', HOME: lab.home, EDGEFAAS_HOME: lab.home }, timeout: o.timeoutMs ?? 900_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, ms: Date.now() - started }),
    );
  });
}

/** test/support/lab.ts's: kept here for the swarm tests that import it from this file. */
export { onNode } from '../support/lab.ts';

/**
 * `lab up` writes the `openfaas:` section (stand-in gateway, Debian registry, sideloads) itself now:
 * this only checks that it is there and leaves the file exactly as `lab up` wrote it. Kept for
 * test/deploy and bench/up, which called it to add the section.
 */
export async function useLabImages(lab: TestLab, file = lab.clusterFile): Promise<void> {
  const doc = parse(await fs.readFile(file, 'utf8')) as { openfaas?: { sideload?: string[] } };
  if (!doc.openfaas?.sideload?.length) throw new Error(`${file} has no openfaas.sideload: lab up should have written it`);
}

/**
 * A tiny of-watchdog-style function (echoes what it got as JSON) tagged for the manager's registry;
 * `answer` adds fixed fields (e.g. predictions, so edgefaas invoke can read it as a classifier).
 */
export async function buildEchoImage(tag: string, answer: Record<string, unknown> = {}): Promise<void> {
  const base = await debianBase('node', ['nodejs']);
  const dir = await fs.mkdtemp(join(tmpdir(), 'edgefaas-echo-'));
  try {
    await fs.writeFile(
      join(dir, 'server.js'),
      "require('http').createServer((req, res) => { const b = []; req.on('data', (c) => b.push(c)); req.on('end', () => {" +
        " res.writeHead(200, { 'Content-Type': 'application/json' });" +
        " res.end(JSON.stringify({ ..." + JSON.stringify(answer) + ", host: require('os').hostname(), method: req.method, url: req.url, body: Buffer.concat(b).toString(), headers: req.headers, fprocess: process.env.fprocess || '' })); }); }).listen(8080);\n",
    );
    await fs.writeFile(join(dir, 'Dockerfile'), `FROM ${base}\nCOPY server.js /srv/server.js\nCMD ["node", "/srv/server.js"]\n`);
    await run('docker', ['build', '-q', '-t', tag, dir], { maxBuffer: 16 << 20 });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
