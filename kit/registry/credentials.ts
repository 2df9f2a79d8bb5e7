import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BasicAuth } from '../http/request.ts';
import { DOCKER_HUB } from './reference.ts';

/** Docker Hub's key in config.json (what `docker login` with no server writes). */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export class DockerConfigError extends Error {
  override name = 'DockerConfigError';
}

export function dockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

/** config.json keys for a registry: "host:port", with or without https:// or /v1/ (Docker Hub's own key). */
function keysFor(registry: string): string[] {
  if (registry === DOCKER_HUB) return [DOCKER_HUB_KEY, 'index.docker.io', 'docker.io', 'https://docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

/**
 * The credentials `docker login REGISTRY` left on this machine: an `auths` entry (base64 user:password),
 * or a credential helper (`docker-credential-NAME get`, the server on stdin). Undefined when there are none.
 */
export async function dockerLoginFor(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<BasicAuth | undefined> {
  const file = dockerConfigFile(env);
  let cfg: DockerConfig;
  try {
    cfg = JSON.parse(await fs.readFile(file, 'utf8')) as DockerConfig;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DockerConfigError(`${file} is not valid JSON (${(e as Error).message}); fix it or run: docker login ${registry}`);
  }
  const keys = keysFor(registry);
  const helper = keys.map((k) => cfg.credHelpers?.[k]).find(Boolean) ?? cfg.credsStore;
  for (const k of keys) {
    const entry = cfg.auths?.[k];
    if (!entry) continue;
    if (entry.auth) {
      const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = plain.indexOf(':');
      if (colon > 0) return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  if (helper) return credentialHelper(helper, registry === DOCKER_HUB ? DOCKER_HUB_KEY : registry, env);
  return undefined;
}

/** docker-credential-HELPER get: the server URL on stdin, {"Username","Secret"} on stdout. */
async function credentialHelper(helper: string, server: string, env: NodeJS.ProcessEnv): Promise<BasicAuth | undefined> {
  const bin = `docker-credential-${helper}`;
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(bin, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (e) => resolve({ code: -1, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(server);
  });
  if (out.code === -1) throw new DockerConfigError(`docker's config names the credential helper ${helper}, but ${bin} cannot run (${out.stderr}); install it or run: docker login ${server}`);
  // "credentials not found in native keychain": no login for this server.
  if (out.code !== 0) return undefined;
  try {
    const r = JSON.parse(out.stdout) as { Username?: string; Secret?: string };
    return r.Username && r.Secret ? { username: r.Username, password: r.Secret } : undefined;
  } catch {
    throw new DockerConfigError(`${bin} get answered something that is not JSON for ${server}`);
  }
}
