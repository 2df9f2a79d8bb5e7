import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { expandTilde } from '../ssh/paths.ts';
import type { SecretRef } from './schema.ts';
import { atomicWrite } from './write.ts';

export class SecretError extends Error {
  override name = 'SecretError';
}

/** Reads a secret from its env var or its 0600 file; refuses files others can read. */
export async function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (ref.env && env[ref.env] !== undefined) return env[ref.env]!;
  if (ref.file) {
    const path = expandTilde(ref.file, env);
    let stat;
    try {
      stat = await fs.stat(path);
    } catch {
      throw new SecretError(`secret file ${path} does not exist`);
    }
    if ((stat.mode & 0o077) !== 0) {
      throw new SecretError(`secret file ${path} is readable by others (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
    }
    return (await fs.readFile(path, 'utf8')).replace(/\r?\n$/, '');
  }
  throw new SecretError(`environment variable ${ref.env} is not set`);
}

/** Writes a secret atomically with mode 0600 (directory 0700). */
export async function writeSecretFile(path: string, value: string): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await atomicWrite(path, value, 0o600);
}
