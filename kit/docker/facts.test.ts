import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseDockerFacts, probeDockerStep } from './facts.ts';

const managerOut = `arch=armv7l
os=raspbian
svc=systemd
docker_installed=1
docker_apt_repo=0
docker_group=1
ipvs=1
daemon_json=${Buffer.from('{"debug":true}').toString('base64')}
docker_running=1
docker_api=1.45|1.44
swarm_state=active
swarm_node_id=abc123
swarm_manager=true
swarm_cluster_id=cl1
node=abc123|pi-1|manager|ready|active|192.168.1.10|armv7l|edgefaas.arch=armv7l;edgefaas.gateway=true;
node=def456|pi-2|worker|down|active|192.168.1.11|aarch64|
service=func_gateway|1/1|openfaas/gateway:0.18.18-armhf
secret=basic-auth-user
stack_hash=f00
image=registry:2.8.3
`;

describe('parseDockerFacts', () => {
  it('reads a manager: nodes with labels, services, secrets, stack hash, daemon.json', () => {
    const f = parseDockerFacts(managerOut);
    expect(f).toMatchObject({ arch: 'armv7l', os: 'raspbian', serviceManager: 'systemd', dockerRunning: true, ipvs: true, daemonJson: '{"debug":true}' });
    expect(f.swarm).toEqual({ state: 'active', nodeId: 'abc123', isManager: true, clusterId: 'cl1' });
    expect(f.api).toEqual({ api: '1.45', minApi: '1.44' });
    expect(f.manager!.nodes[0]).toEqual({
      id: 'abc123', hostname: 'pi-1', role: 'manager', state: 'ready', availability: 'active', addr: '192.168.1.10', arch: 'armv7l',
      labels: { 'edgefaas.arch': 'armv7l', 'edgefaas.gateway': 'true' },
    });
    expect(f.manager!.nodes[1]!.labels).toEqual({});
    expect(f.manager!.services).toEqual([{ name: 'func_gateway', replicas: '1/1', image: 'openfaas/gateway:0.18.18-armhf' }]);
    expect(f.manager!.secrets).toEqual(['basic-auth-user']);
    expect(f.manager!.stackHash).toBe('f00');
    expect(f.images).toEqual(['registry:2.8.3']);
  });

  it('reads a bare node: no docker, no swarm, no manager facts', () => {
    const f = parseDockerFacts('arch=x86_64\nos=debian\nsvc=sysv\ndocker_installed=0\ndocker_running=0\n');
    expect(f.dockerInstalled).toBe(false);
    expect(f.daemonJson).toBeUndefined();
    expect(f.swarm.state).toBe('');
    expect(f.manager).toBeUndefined();
  });

  it('refuses output that is not the probe', () => {
    expect(() => parseDockerFacts('bash: syntax error')).toThrow(/unexpected probe output/);
  });

  it('is a read-only sudo step whose script runs under sh on this machine', () => {
    const step = probeDockerStep();
    expect(step).toMatchObject({ sudo: true, readOnly: true });
    const f = parseDockerFacts(execFileSync('sh', ['-c', step.command], { encoding: 'utf8' }));
    expect(f.arch).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    expect(f.dockerInstalled).toBe(true);
  });
});
