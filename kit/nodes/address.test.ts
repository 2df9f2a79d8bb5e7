import SSHConfig from 'ssh-config';
import { describe, expect, it } from 'vitest';
import { NodeSpec } from '../inventory/schema.ts';
import type { ExecResult, Runner } from '../plan/types.ts';
import { agreeOnAddresses, hostPort, parseGetent, resolvedAddress, type Lookup } from './address.ts';

const env = { HOME: '/home/me', USER: 'me' };
const config = SSHConfig.parse(`
Host pi2
  HostName pi-2.lan
  User pi

Host inner
  HostName 10.0.0.7
  ProxyJump bastion

Host hidden
  HostName pi-9.internal
  ProxyJump bastion
`);
const dns: Record<string, string[]> = { 'pi-1.lan': ['192.168.1.21', 'fd00::21'], 'pi-2.lan': ['192.168.1.22'], 'pi-6.lan': ['fd00::6'] };
const lookup: Lookup = async (h) => dns[h] ?? [];
const node = (name: string, address: string, role: 'manager' | 'worker' = 'worker') => NodeSpec.parse({ name, address, role });

/** A node that answers getent from its own table and SSH_CONNECTION with the address it was reached on. */
function fakeNode(name: string, hosts: Record<string, string[]>, reachedOn = '10.0.0.99'): Runner & { commands: string[] } {
  const commands: string[] = [];
  return {
    node: name,
    commands,
    async exec(command: string): Promise<ExecResult> {
      commands.push(command);
      if (command.includes('SSH_CONNECTION')) return { stdout: `10.0.0.1 50000 ${reachedOn} 22\n`, stderr: '', code: 0, ms: 1 };
      const out = [...command.matchAll(/echo "@@([^"]+)"/g)]
        .map(([, n]) => [`@@${n}`, ...(hosts[n!] ?? []).map((ip) => `${ip}      STREAM ${n}`)].join('\n'))
        .join('\n');
      return { stdout: `${out}\n`, stderr: '', code: 0, ms: 1 };
    },
    async upload() {},
    async close() {},
  };
}

describe('resolvedAddress', () => {
  it('keeps an IP as cluster.yaml gives it, without asking DNS', async () => {
    const r = await resolvedAddress(node('pi-1', '192.168.1.21'), { lookup: async () => { throw new Error('no lookup for an IP'); } });
    expect(r).toEqual({ node: 'pi-1', given: '192.168.1.21', host: '192.168.1.21', ip: '192.168.1.21', behindJump: false });
  });

  it('resolves a DNS name on this machine to the address every part uses', async () => {
    expect((await resolvedAddress(node('pi-1', 'pi-1.lan'), { lookup })).ip).toBe('192.168.1.21');
  });

  it('resolves an ~/.ssh/config alias through its HostName', async () => {
    const r = await resolvedAddress(node('pi-2', 'pi2'), { lookup, sshConfig: config, env });
    expect(r).toMatchObject({ host: 'pi-2.lan', ip: '192.168.1.22' });
  });

  it('asks a node behind a jump host which address it was reached on', async () => {
    const r = await resolvedAddress(node('pi-9', 'hidden'), { lookup, sshConfig: config, env, runner: async () => fakeNode('pi-9', {}, '10.0.0.9') });
    expect(r).toMatchObject({ ip: '10.0.0.9', behindJump: true });
  });

  it('says plainly when a name resolves nowhere', async () => {
    await expect(resolvedAddress(node('pi-4', 'pi-4.nowhere'), { lookup })).rejects.toThrow(
      'pi-4: cannot resolve pi-4.nowhere on this machine; give its IP as address in cluster.yaml, or add it to /etc/hosts or DNS',
    );
  });
});

describe('addresses with ports', () => {
  it('brackets IPv6 before :port and leaves IPv4 as it is', () => {
    expect(hostPort('fd00::6', 5000)).toBe('[fd00::6]:5000');
    expect(hostPort('192.168.1.21', 5000)).toBe('192.168.1.21:5000');
  });

  it('uses the bracketed form for an IPv6-only node named by DNS', async () => {
    const r = await resolvedAddress(node('pi-6', 'pi-6.lan'), { lookup });
    expect(hostPort(r.ip, 8080)).toBe('[fd00::6]:8080');
  });
});

describe('getent output', () => {
  it("leaves out the loopback address Debian gives a host's own name in /etc/hosts", () => {
    expect(parseGetent('127.0.1.1       STREAM pi-1\n127.0.1.1       DGRAM\n192.168.1.21    STREAM\n')).toEqual(['192.168.1.21']);
  });
});

describe('agreeOnAddresses', () => {
  const nodes = [node('pi-1', 'pi-1.lan', 'manager'), node('pi-2', 'pi2')];

  it('gives each node the address this machine and the manager agree on', async () => {
    const manager = fakeNode('pi-1', { 'pi-1.lan': ['127.0.1.1', '192.168.1.21'], 'pi-2.lan': ['192.168.1.22'] });
    const got = await agreeOnAddresses(nodes, { spec: nodes[0]!, runner: manager }, { lookup, sshConfig: config, env });
    expect(Object.fromEntries([...got].map(([k, v]) => [k, v instanceof Error ? v.message : v.ip]))).toEqual({ 'pi-1': '192.168.1.21', 'pi-2': '192.168.1.22' });
  });

  it('tells the user which address to write when the manager resolves a name elsewhere', async () => {
    const manager = fakeNode('pi-1', { 'pi-1.lan': ['192.168.1.21'], 'pi-2.lan': ['10.8.0.22'] });
    const got = await agreeOnAddresses(nodes, { spec: nodes[0]!, runner: manager }, { lookup, sshConfig: config, env });
    expect((got.get('pi-2') as Error).message).toBe(
      'pi-2: pi-2.lan is 192.168.1.22 on this machine but 10.8.0.22 on the manager pi-1, so the nodes would reach it at another address than you do; ' +
        'write the address the nodes use in cluster.yaml (address: 10.8.0.22 for pi-2) or make /etc/hosts or DNS agree, then run: edgefaas up',
    );
    expect(got.get('pi-1')).toMatchObject({ ip: '192.168.1.21' });
  });
});
