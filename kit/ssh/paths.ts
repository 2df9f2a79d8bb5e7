import { homedir } from 'node:os';
import { join } from 'node:path';

/** The kit's own state (known_hosts, keys, labs): ~/.edgefaas, or $EDGEFAAS_HOME (tests use temp dirs). */
export function edgefaasHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.EDGEFAAS_HOME || join(env.HOME || homedir(), '.edgefaas');
}

export function userHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || homedir();
}

export function expandTilde(path: string, env: NodeJS.ProcessEnv = process.env): string {
  if (path === '~') return userHome(env);
  return path.startsWith('~/') ? join(userHome(env), path.slice(2)) : path;
}
