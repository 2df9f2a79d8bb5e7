import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfigPath, mergeKubeconfig, rewriteK3sKubeconfig } from './kubeconfig.ts';

const run = promisify(execFile);

/** /etc/rancher/k3s/k3s.yaml as k3s writes it: everything named "default", server on 127.0.0.1. */
const K3S_YAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
`;

const USERS_OWN = `apiVersion: v1
kind: Config
clusters:
- name: work
  cluster:
    server: https://work.example:6443
contexts:
- name: work
  context:
    cluster: work
    user: work
current-context: work
users:
- name: work
  user:
    token: users-own-token
`;

/** The merged file read back by kubectl itself (Debian's kubernetes-client, or any kubectl on PATH). */
describe('kubeconfig merge', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefaas-kube-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const kubectl = async (file: string, ...args: string[]) => (await run('kubectl', ['--kubeconfig', file, ...args])).stdout.trim();

  it('adds context edgefaas-<cluster> at the server\'s address, keeps the user\'s contexts, 0600, with a backup', async () => {
    const file = join(dir, 'config');
    await fs.writeFile(file, USERS_OWN, { mode: 0o644 });
    const r = await mergeKubeconfig(rewriteK3sKubeconfig(K3S_YAML, 'home', '10.99.71.11'), file);
    expect(r).toMatchObject({ status: 'updated', context: 'edgefaas-home', backup: `${file}.edgefaas-backup` });
    expect((await kubectl(file, 'config', 'get-contexts', '-o', 'name')).split('\n').sort()).toEqual(['edgefaas-home', 'work']);
    expect(await kubectl(file, 'config', 'current-context')).toBe('work');
    expect(await kubectl(file, 'config', 'view', '--context', 'edgefaas-home', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}')).toBe('https://10.99.71.11:6443');
    expect(await kubectl(file, 'config', 'view', '--context', 'work', '--minify', '--raw', '-o', 'jsonpath={.users[0].user.token}')).toBe('users-own-token');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(`${file}.edgefaas-backup`, 'utf8')).toBe(USERS_OWN);
    expect((await fs.stat(`${file}.edgefaas-backup`)).mode & 0o777).toBe(0o600);
  });

  it('is unchanged on a second merge, and the first backup is never overwritten', async () => {
    const file = join(dir, 'config');
    const before = await fs.readFile(file, 'utf8');
    const r = await mergeKubeconfig(rewriteK3sKubeconfig(K3S_YAML, 'home', '10.99.71.11'), file);
    expect(r.status).toBe('unchanged');
    expect(await fs.readFile(file, 'utf8')).toBe(before);
    await mergeKubeconfig(rewriteK3sKubeconfig(K3S_YAML, 'home', '10.99.71.12'), file);
    expect(await fs.readFile(`${file}.edgefaas-backup`, 'utf8')).toBe(USERS_OWN);
    expect(await kubectl(file, 'config', 'view', '--context', 'edgefaas-home', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}')).toBe('https://10.99.71.12:6443');
  });

  it('creates the file when there is none and makes it the current context', async () => {
    const file = join(dir, 'fresh', 'config');
    const r = await mergeKubeconfig(rewriteK3sKubeconfig(K3S_YAML, 'lab', 'fd00::5'), file);
    expect(r.status).toBe('created');
    expect(await kubectl(file, 'config', 'current-context')).toBe('edgefaas-lab');
    expect(await kubectl(file, 'config', 'view', '-o', 'jsonpath={.clusters[0].cluster.server}')).toBe('https://[fd00::5]:6443');
  });

  it('writes to $KUBECONFIG\'s first file, else ~/.kube/config', () => {
    expect(kubeconfigPath({ KUBECONFIG: '/a/one:/b/two', HOME: '/h' })).toBe('/a/one');
    expect(kubeconfigPath({ HOME: '/h' })).toBe('/h/.kube/config');
  });
});
