import { describe, expect, it } from 'vitest';
import { labelStep, parseJoinTokens, promoteStep, readJoinTokensStep, swarmInitStep, swarmJoinStep } from './steps.ts';
import { registryServiceStep } from './registry.ts';

describe('swarm steps', () => {
  it('inits with the advertise address from cluster.yaml', () => {
    expect(swarmInitStep('192.168.1.10')).toEqual({
      title: 'swarm init (advertise 192.168.1.10)',
      command: 'docker swarm init --advertise-addr 192.168.1.10',
      sudo: true,
      timeoutMs: 60_000,
    });
  });

  it('reads both join tokens in one read-only step', () => {
    expect(readJoinTokensStep()).toMatchObject({ command: 'docker swarm join-token -q worker && docker swarm join-token -q manager', readOnly: true });
    expect(parseJoinTokens('SWMTKN-1-aaa-w\nSWMTKN-1-aaa-m\n')).toEqual({ worker: 'SWMTKN-1-aaa-w', manager: 'SWMTKN-1-aaa-m' });
    expect(() => parseJoinTokens('Error: This node is not a swarm manager.')).toThrow('the manager did not print two join tokens');
  });

  it('joins with the token on stdin, never in the command line', () => {
    const step = swarmJoinStep({ role: 'worker', managerAddr: '10.0.0.11', advertiseAddr: '10.0.0.12', token: 'SWMTKN-1-secret' });
    expect(step.command).not.toContain('SWMTKN');
    expect(step.command.startsWith(`perl -MIO::Socket::UNIX -e 'local $/; my $b = <STDIN>;`)).toBe(true);
    expect(JSON.parse(step.stdin!)).toEqual({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '10.0.0.12',
      RemoteAddrs: ['10.0.0.11:2377'],
      JoinToken: 'SWMTKN-1-secret',
    });
    expect(step.title).toBe('join the swarm as worker (manager 10.0.0.11)');
  });

  it('labels a node with only the missing labels', () => {
    expect(labelStep('n1', 'pi-2', { 'edgefaas.arch': 'armv7l', 'edgefaas.role': 'worker' }).command).toBe(
      'docker node update --label-add edgefaas.arch=armv7l --label-add edgefaas.role=worker n1',
    );
  });

  it('promotes and demotes by swarm node id', () => {
    expect(promoteStep('n3', 'pi-3', 'manager').command).toBe('docker node promote n3');
    expect(promoteStep('n3', 'pi-3', 'worker').command).toBe('docker node demote n3');
  });

  it('runs the registry in host mode with dnsrr where there is no IPVS', () => {
    expect(registryServiceStep({ image: 'registry:2.8.3', port: 5000, ipvs: false }).command).toBe(
      "docker service create --detach --no-resolve-image --name edgefaas-registry --label edgefaas.owned=true --constraint 'node.labels.edgefaas.gateway == true' " +
        '--publish published=5000,target=5000,mode=host --endpoint-mode dnsrr ' +
        '--mount type=volume,source=edgefaas-registry,target=/var/lib/registry --restart-condition any registry:2.8.3',
    );
  });

  it('uses the routing mesh for the registry where IPVS is there', () => {
    expect(registryServiceStep({ image: 'registry:2.8.3', port: 5001, ipvs: true }).command).toBe(
      "docker service create --detach --no-resolve-image --name edgefaas-registry --label edgefaas.owned=true --constraint 'node.labels.edgefaas.gateway == true' " +
        '--publish published=5001,target=5000 ' +
        '--mount type=volume,source=edgefaas-registry,target=/var/lib/registry --restart-condition any registry:2.8.3',
    );
  });
});
