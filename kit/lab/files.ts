import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import type { ClusterInput } from '../inventory/schema.ts';
import { writeSecretFile } from '../inventory/secrets.ts';
import type { LabLayout } from './names.ts';

const run = promisify(execFile);

export interface LabFiles {
  dir: string;
  keyFile: string;
  passwordFile: string;
  knownHostsFile: string;
  sshConfigFile: string;
  stateFile: string;
}

export function labFiles(home: string, name: string): LabFiles {
  const dir = join(home, 'labs', name);
  return {
    dir,
    keyFile: join(dir, 'id_ed25519'),
    passwordFile: join(dir, 'pi-password'),
    knownHostsFile: join(dir, 'known_hosts'),
    sshConfigFile: join(dir, 'ssh_config'),
    stateFile: join(dir, 'lab.json'),
  };
}

export async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false,
  );
}

/** The lab's key pair and pi's password, made once (0600) and reused by every later `lab up`. */
export async function ensureSecrets(f: LabFiles): Promise<void> {
  await fs.mkdir(f.dir, { recursive: true, mode: 0o700 });
  if (!(await exists(f.keyFile))) {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'edgefaas-lab', '-f', f.keyFile]);
  }
  if (!(await exists(f.passwordFile))) await writeSecretFile(f.passwordFile, randomBytes(18).toString('base64url'));
}

/** Writes a file only when its content differs, so a second `lab up` changes nothing. */
export async function writeIfChanged(path: string, content: string, mode = 0o644): Promise<boolean> {
  const old = await fs.readFile(path, 'utf8').catch(() => undefined);
  if (old === content) return false;
  await fs.writeFile(path, content, { mode });
  await fs.chmod(path, mode);
  return true;
}

export function clusterHeader(name: string): string {
  return `# edgefaas lab ${name}: written by \`edgefaas lab up\`, removed by \`edgefaas lab down --name ${name}\`.\n`;
}

/** cluster.yaml's `openfaas:` section as a lab writes it (images this machine built, sideloaded by up). */
export type LabOpenfaas = NonNullable<ClusterInput['openfaas']>;

/** Where the lab's existing registry is, with its CA and credentials (the password by file reference). */
export interface LabRegistryRef {
  address: string;
  caFile: string;
  username: string;
  passwordFile: string;
}

export function clusterYaml(layout: LabLayout, f: LabFiles, openfaas?: LabOpenfaas, registry?: LabRegistryRef): string {
  const spec: ClusterInput = {
    version: 1,
    name: layout.name,
    nodes: layout.nodes.map((n, i) => ({
      name: n.name,
      address: n.address,
      user: 'pi',
      auth: { method: 'key', keyFile: f.keyFile },
      sudoPassword: { file: f.passwordFile },
      role: i === 0 ? 'manager' : 'worker',
    })),
    ...(registry
      ? { registry: { mode: 'external' as const, address: registry.address, ca: registry.caFile, username: registry.username, password: { file: registry.passwordFile } } }
      : {}),
    ssh: { knownHosts: f.knownHostsFile },
    ...(openfaas ? { openfaas } : {}),
  };
  return clusterHeader(layout.name) + stringify(spec);
}

export function sshConfigSnippet(layout: LabLayout, f: LabFiles): string {
  const blocks = layout.nodes.map(
    (n) =>
      `Host ${layout.name}-${n.name}\n  HostName ${n.address}\n  User pi\n  IdentityFile ${f.keyFile}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${f.knownHostsFile}\n`,
  );
  return `# edgefaas lab ${layout.name}: add "Include ${f.sshConfigFile}" to ~/.ssh/config to use these aliases.\n${blocks.join('\n')}`;
}

/**
 * True when the file at path was written by this lab (so `lab up` may rewrite it and `lab down` remove it):
 * it starts with the lab's header, or (a tool re-saved it and dropped the comment) it names the lab and
 * trusts the lab's own known_hosts file.
 */
export async function isLabClusterFile(path: string, name: string): Promise<boolean | undefined> {
  const text = await fs.readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  if (text.startsWith(clusterHeader(name))) return true;
  let doc: { name?: unknown; ssh?: { knownHosts?: unknown } } | undefined;
  try {
    doc = parse(text) as typeof doc;
  } catch {
    return false;
  }
  const known = doc?.ssh?.knownHosts;
  return doc?.name === name && typeof known === 'string' && known.endsWith(`/labs/${name}/known_hosts`);
}
