import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { writeSecretFile } from '../../inventory/secrets.ts';
import { RegistryClient } from '../../registry/client.ts';
import { docker } from '../docker-cli.ts';
import { LAB_LABEL, LabError, subnetPrefix, type LabLayout } from '../names.ts';
import { ensureRegistryImage } from './image.ts';
import { ensureServerCert } from './tls.ts';

/**
 * "An existing registry" as users have one: a host of its own on the lab LAN running Debian's
 * docker-registry with HTTPS from a private CA and basic auth, which `edgefaas up` did not make.
 * Its CA, key, certificate and htpasswd are generated once under the lab's files (keys and the
 * password 0600, certificates 0644) and mounted read-only into the registry's container.
 */
export interface ExistingRegistry {
  /** host:port as images name it. */
  address: string;
  container: string;
  caFile: string;
  username: string;
  passwordFile: string;
}

export const EXISTING_REGISTRY_PORT = 5443;
const USER = 'lab';

export function existingRegistryLayout(layout: LabLayout, dir: string) {
  return {
    address: `${subnetPrefix(layout.subnet)}5`,
    container: `edgefaas-lab-${layout.name}-registry`,
    volume: `edgefaas-lab-${layout.name}-registry-data`,
    dir,
  };
}

function config(): string {
  return [
    'version: 0.1',
    'log: {level: warn}',
    'storage:',
    '  filesystem: {rootdirectory: /var/lib/registry}',
    '  delete: {enabled: true}',
    'http:',
    `  addr: :${EXISTING_REGISTRY_PORT}`,
    '  tls: {certificate: /etc/edgefaas-registry/registry.crt, key: /etc/edgefaas-registry/registry.key}',
    'auth:',
    '  htpasswd: {realm: edgefaas-lab, path: /etc/edgefaas-registry/htpasswd}',
    '',
  ].join('\n');
}

/** True when lab NAME already runs its existing-registry host (so a re-run of lab up keeps it). */
export async function hasExistingRegistry(layout: LabLayout): Promise<boolean> {
  return (await docker(['inspect', existingRegistryLayout(layout, '').container], { allowFail: true })).code === 0;
}

export async function ensureExistingRegistry(layout: LabLayout, dir: string, log: (line: string) => void = () => {}): Promise<{ registry: ExistingRegistry; changed: boolean }> {
  const l = existingRegistryLayout(layout, dir);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const certs = await ensureServerCert(dir, { caName: `edgefaas lab ${layout.name} CA`, name: 'registry', ips: [l.address], dns: [`registry.${layout.name}.lab`] });
  const passwordFile = join(dir, 'password');
  let password = await fs.readFile(passwordFile, 'utf8').then((t) => t.trim(), () => undefined);
  const htpasswd = join(dir, 'htpasswd');
  if (password === undefined || !(await fs.access(htpasswd).then(() => true, () => false))) {
    password = randomBytes(18).toString('base64url');
    await writeSecretFile(passwordFile, `${password}\n`);
    await writeSecretFile(htpasswd, `${USER}:${bcrypt.hashSync(password, 10)}\n`);
  }
  await fs.writeFile(join(dir, 'config.yml'), config(), { mode: 0o644 });
  const registry: ExistingRegistry = { address: `${l.address}:${EXISTING_REGISTRY_PORT}`, container: l.container, caFile: certs.caCert, username: USER, passwordFile };

  const state = await docker(['inspect', l.container, '--format', '{{.State.Running}}'], { allowFail: true });
  let changed = false;
  if (state.code !== 0) {
    const image = await ensureRegistryImage(log);
    log(`creating the lab's existing registry ${registry.address} (TLS from the lab CA, basic auth)`);
    await docker(['volume', 'create', '--label', `${LAB_LABEL}=${layout.name}`, l.volume]);
    await docker([
      'run', '-d', '--name', l.container,
      '--label', `${LAB_LABEL}=${layout.name}`, '--label', `${LAB_LABEL}.node=registry`,
      '--hostname', 'registry', '--network', layout.network, '--ip', l.address, '--restart', 'unless-stopped',
      // Only what the registry reads: never the CA's key.
      ...['config.yml', 'registry.crt', 'registry.key', 'htpasswd'].flatMap((f) => ['--mount', `type=bind,src=${join(dir, f)},dst=/etc/edgefaas-registry/${f},readonly`]),
      '--mount', `type=volume,src=${l.volume},dst=/var/lib/registry`,
      image, '/usr/bin/docker-registry', 'serve', '/etc/edgefaas-registry/config.yml',
    ]);
    changed = true;
  } else if (state.stdout.trim() !== 'true') {
    await docker(['start', l.container]);
    changed = true;
  }
  const client = new RegistryClient({ address: registry.address, tls: 'verify', ca: await fs.readFile(certs.caCert, 'utf8'), timeoutMs: 2000 });
  const deadline = Date.now() + 30_000;
  while (!(await client.ping().catch(() => false))) {
    if (Date.now() > deadline) throw new LabError(`the lab registry ${registry.address} did not answer over HTTPS within 30 s; see: docker logs ${l.container}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return { registry, changed };
}
