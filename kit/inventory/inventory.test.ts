import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCluster, splitHostPort, suggestNodeName, type InitAnswers } from './answers.ts';
import { ConfigError, parseCluster } from './load.ts';
import { answersOnPort, probePort, userFromBanner } from './reachability.ts';
import { readSshHosts } from './ssh-hosts.ts';
import { writeCluster } from './write.ts';

const answers: InitAnswers = {
  name: 'lab',
  nodes: [
    { name: 'pi-1', address: '10.0.0.11', user: 'pi', role: 'manager', auth: { method: 'agent' } },
    { name: 'pi-2', address: '10.0.0.12', port: 2222, user: 'pi', role: 'worker', auth: { method: 'key', keyFile: '~/.ssh/id_ed25519' } },
  ],
  orchestrator: 'swarm',
  registry: { mode: 'manager', port: 5000 },
  functions: ['classify'],
  replicas: 1,
  maxReplicas: 3,
  gatewayPort: 8080,
  gatewayAuth: true,
};

describe('cluster.yaml', () => {
  it('round-trips what init writes through the schema every command reads', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'edgefaas-inv-'));
    const path = join(dir, 'cluster.yaml');
    expect((await writeCluster(path, buildCluster(answers))).status).toBe('created');
    const spec = parseCluster(await fs.readFile(path, 'utf8'));
    expect(spec.nodes[1]).toMatchObject({ name: 'pi-2', port: 2222, auth: { method: 'key', keyFile: '~/.ssh/id_ed25519' } });
    expect(spec.functions).toEqual([{ name: 'classify', model: 'resnet50', replicas: 1, maxReplicas: 3 }]);
    await fs.rm(dir, { recursive: true });
  });

  it('keeps what the wizard does not ask about when re-run over an existing file', () => {
    const existing = {
      nodes: [{ name: 'pi-2', address: 'old', labels: { gpu: 'no' }, sudoPassword: { env: 'SUDO' } }],
      ssh: { concurrency: 4 },
      openfaas: { images: { gateway: 'mirror/gateway:1' } },
    };
    const c = buildCluster(answers, existing);
    expect(c.ssh).toEqual({ concurrency: 4 });
    expect(c.openfaas).toEqual({ images: { gateway: 'mirror/gateway:1' } });
    expect(c.nodes[1]).toMatchObject({ address: '10.0.0.12', labels: { gpu: 'no' }, sudoPassword: { env: 'SUDO' } });
  });

  it('does not write a file that would not validate, and leaves the old one as it was', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'edgefaas-inv-'));
    const path = join(dir, 'cluster.yaml');
    await fs.writeFile(path, 'old\n');
    const bad = buildCluster({ ...answers, nodes: answers.nodes.map((n) => ({ ...n, role: 'worker' as const })) });
    await expect(writeCluster(path, bad)).rejects.toThrow(ConfigError);
    await expect(writeCluster(path, bad)).rejects.toThrow('nodes: no manager: give one node role: manager');
    expect(await fs.readFile(path, 'utf8')).toBe('old\n');
    expect(await fs.readdir(dir)).toEqual(['cluster.yaml']);
    await fs.rm(dir, { recursive: true });
  });

  it('reports every problem of a file, each with its line', () => {
    try {
      parseCluster('name: lab\nnodes:\n  - name: Pi_1\n    address: 10.0.0.1\n    role: boss\n', 'c.yaml');
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => `${i.line}:${i.path}`)).toEqual(['3:nodes[0].name', '5:nodes[0].role']);
      expect((e as Error).message).toContain('c.yaml:3:11: nodes[0].name: expected a lower-case host-like name (a-z, 0-9, -), got "Pi_1"');
    }
  });
});

describe('wizard helpers', () => {
  it('splits host:port but not IPv6 or alias names', () => {
    expect(splitHostPort('10.0.0.11:2222')).toEqual({ address: '10.0.0.11', port: 2222 });
    expect(splitHostPort(' pi-1 ')).toEqual({ address: 'pi-1' });
    expect(splitHostPort('fe80::1')).toEqual({ address: 'fe80::1' });
    expect(splitHostPort('[fe80::1]:22')).toEqual({ address: 'fe80::1', port: 22 });
  });

  it('suggests node names from aliases and host names, node-N for IPs', () => {
    expect(suggestNodeName('Pi-Kitchen.local', 0)).toBe('pi-kitchen');
    expect(suggestNodeName('10.0.0.3', 2)).toBe('node-3');
  });

  it('reads ~/.ssh/config aliases and their settings, skipping wildcards', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'edgefaas-ssh-'));
    await fs.writeFile(join(dir, 'config'), 'Host pi-1 pi-2\n  User pi\nHost pi-2\n  HostName 10.0.0.12\n  Port 2222\n  IdentityFile ~/.ssh/pi\nHost *.lan !x\n  User root\n');
    const hosts = await readSshHosts(join(dir, 'config'));
    expect(hosts.aliases).toEqual(['pi-1', 'pi-2']);
    expect(hosts.lookup('pi-2')).toEqual({ alias: 'pi-2', hostName: '10.0.0.12', user: 'pi', port: 2222, identityFile: '~/.ssh/pi' });
    expect(hosts.lookup('nas.lan').user).toBe('root');
    expect((await readSshHosts(join(dir, 'absent'))).aliases).toEqual([]);
    await fs.rm(dir, { recursive: true });
  });

  it('tells a port that answers from one that does not', async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    expect(await answersOnPort('127.0.0.1', port, 1000)).toBe(true);
    await new Promise((r) => server.close(r));
    expect(await answersOnPort('127.0.0.1', port, 1000)).toBe(false);
  });

  it('reads an SSH server banner without logging in, and guesses the usual user from it', async () => {
    const server = createServer((s) => s.end('SSH-2.0-OpenSSH_9.2p1 Raspbian-2+deb12u3\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const answer = await probePort('127.0.0.1', port, 1000);
    server.close();
    expect(answer).toEqual({ open: true, banner: 'SSH-2.0-OpenSSH_9.2p1 Raspbian-2+deb12u3' });
    expect(userFromBanner(answer.banner)).toBe('pi');
    expect(userFromBanner('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10')).toBe('ubuntu');
    expect(userFromBanner('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3')).toBeUndefined();
  });
});

describe('typed passwords', () => {
  it('are kept under EDGEFAAS_HOME when set, else ~/.edgefaas', async () => {
    const { passwordFileRef } = await import('./answers.ts');
    expect(passwordFileRef('lab', 'pi-3', {})).toEqual({ file: '~/.edgefaas/lab/secrets/pi-3-password' });
    expect(passwordFileRef('lab', 'pi-3', { EDGEFAAS_HOME: '/srv/ef/' })).toEqual({ file: '/srv/ef/lab/secrets/pi-3-password' });
  });
});
