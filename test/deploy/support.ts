/** The real CLI against a test lab, as a user runs it, with this machine's caches (model, bases, photos). */
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestLab } from '../support/lab.ts';

export const BIN = resolve(import.meta.dirname, '../../bin/edgefaas.js');
export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const CACHE = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
export const PHOTOS = process.env.EDGEFAAS_PHOTOS || join(CACHE, 'edgefaas', 'photos');

export function edgefaasOnLab(lab: TestLab, args: string[], timeoutMs = 1_200_000, config = lab.clusterFile): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [BIN, '--config', config, ...args],
      {
        cwd: lab.home,
        env: { PATH: process.env.PATH ?? '', HOME: lab.home, EDGEFAAS_HOME: lab.home, XDG_CACHE_HOME: CACHE, EDGEFAAS_CACHE: join(CACHE, 'edgefaas'), EDGEFAAS_PHOTOS: PHOTOS },
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

/** `npm run build:function`: what images push packs. */
export function buildFunction(): Promise<void> {
  return new Promise<void>((ok, fail) => execFile('npm', ['run', 'build:function'], { cwd: REPO_ROOT }, (e) => (e ? fail(e) : ok())));
}
