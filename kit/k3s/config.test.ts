import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ClusterSpec } from '../inventory/schema.ts';
import { renderK3sConfig, renderRegistries } from './config.ts';
import { cmdlineStep, installStep, missingCgroupArgs, writeFileStep } from './steps.ts';

const spec = ClusterSpec.parse({
  orchestrator: 'k3s',
  name: 'home',
  nodes: [
    { name: 'pi-1', address: '192.168.1.10', role: 'manager' },
    { name: 'pi-2', address: 'pi-two.local', role: 'worker', labels: { zone: 'desk' } },
  ],
});

describe('k3s config files', () => {
  it('a server: node-ip and advertise-address from the resolved address, kubeconfig 0600, arch label', () => {
    const c = parse(renderK3sConfig(spec, { node: spec.nodes[0]!, address: '192.168.1.10', arch: 'aarch64', kind: 'first-server' }, { address: '192.168.1.10' }, 1));
    expect(c).toEqual({
      'node-name': 'pi-1',
      'node-ip': '192.168.1.10',
      'advertise-address': '192.168.1.10',
      'tls-san': ['192.168.1.10'],
      'write-kubeconfig-mode': '0600',
      'node-label': ['edgefaas.node=pi-1', 'edgefaas.arch=aarch64', 'edgefaas.role=manager', 'edgefaas.gateway=true'],
    });
  });

  it('an agent: the server URL and a token file, never the token itself', () => {
    const text = renderK3sConfig(spec, { node: spec.nodes[1]!, address: '192.168.1.11', arch: 'armv7l', kind: 'agent' }, { address: '192.168.1.10' }, 1);
    const c = parse(text);
    expect(c).toMatchObject({ 'node-ip': '192.168.1.11', server: 'https://192.168.1.10:6443', 'token-file': '/etc/rancher/k3s/edgefaas-token' });
    expect(c['node-label']).toContain('zone=desk');
    expect(c).not.toHaveProperty('token');
  });

  it('the first of several servers starts embedded etcd (cluster-init)', () => {
    const c = parse(renderK3sConfig(spec, { node: spec.nodes[0]!, address: '192.168.1.10', arch: 'x86_64', kind: 'first-server' }, { address: '192.168.1.10' }, 3));
    expect(c['cluster-init']).toBe(true);
  });

  it('registries.yaml mirrors the LAN registry over plain HTTP', () => {
    expect(parse(renderRegistries(spec, '192.168.1.10')!)).toEqual({ mirrors: { '192.168.1.10:5000': { endpoint: ['http://192.168.1.10:5000'] } } });
  });
});

describe('k3s steps', () => {
  it('installs with the official script and INSTALL_K3S_* only (as k3s docs and k3sup do), or the uploaded one airgap (as k3s-ansible)', () => {
    expect(installStep('server').command).toBe("curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION='v1.33.5+k3s1' INSTALL_K3S_EXEC=server sh -s -");
    expect(installStep('agent', '/tmp/edgefaas-k3s-airgap/install.sh').command).toBe("INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC=agent sh '/tmp/edgefaas-k3s-airgap/install.sh'");
  });

  it('puts file contents on stdin, never in the command', () => {
    const s = writeFileStep('token', '/etc/rancher/k3s/edgefaas-token', 'K10secret::server:abc', 0o600);
    expect(s.command).not.toContain('K10secret');
    expect(s.stdin).toBe('K10secret::server:abc');
    expect(s.command).toContain('chmod 600');
  });

  it('adds only the missing cgroup arguments to cmdline.txt\'s one line', () => {
    expect(missingCgroupArgs('console=tty1 root=PARTUUID=x rootwait\n')).toEqual(['cgroup_memory=1', 'cgroup_enable=memory']);
    expect(missingCgroupArgs('console=tty1 cgroup_enable=memory rootwait')).toEqual(['cgroup_memory=1']);
    expect(cmdlineStep('/boot/firmware/cmdline.txt', ['cgroup_memory=1']).command).toContain("sed -i '1 s/$/ cgroup_memory=1/'");
  });
});
