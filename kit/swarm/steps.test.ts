import { describe, expect, it } from 'vitest';
import { labelStep, parseJoinTokens, promoteStep, readJoinTokensStep, swarmInitStep, swarmJoinStep } from './steps.ts';
import { createHtpasswdSecretStep, htpasswdLine, registryCaStep, registryLoginStep, registryServiceStep } from './registry.ts';

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
    expect(registryServiceStep({ image: 'registry:2.8.3', port: 5000, ipvs: false, auth: false }).command).toBe(
      "docker service create --detach --no-resolve-image --name edgefaas-registry --label edgefaas.owned=true --constraint 'node.labels.edgefaas.gateway == true' " +
        '--publish published=5000,target=5000,mode=host --endpoint-mode dnsrr ' +
        '--mount type=volume,source=edgefaas-registry,target=/var/lib/registry --restart-condition any registry:2.8.3',
    );
  });

  it('turns on basic auth on the LAN registry from a Swarm secret, and logs in with the password on stdin only', () => {
    expect(registryServiceStep({ image: 'registry:2.8.3', port: 5000, ipvs: true, auth: true }).command).toBe(
      "docker service create --detach --no-resolve-image --name edgefaas-registry --label edgefaas.owned=true --constraint 'node.labels.edgefaas.gateway == true' " +
        '--publish published=5000,target=5000 --mount type=volume,source=edgefaas-registry,target=/var/lib/registry ' +
        '--secret edgefaas-registry-htpasswd --env REGISTRY_AUTH=htpasswd --env REGISTRY_AUTH_HTPASSWD_REALM=edgefaas ' +
        '--env REGISTRY_AUTH_HTPASSWD_PATH=/run/secrets/edgefaas-registry-htpasswd --restart-condition any registry:2.8.3',
    );
    const login = registryLoginStep('10.0.0.11:5000', 'edgefaas', 'pa55-word');
    expect(login.command).toBe("docker login --username edgefaas --password-stdin 10.0.0.11:5000 >/dev/null");
    expect(login.command).not.toContain('pa55-word');
    expect(login.stdin).toBe('pa55-word');
    const secret = createHtpasswdSecretStep(htpasswdLine('edgefaas', 'pa55-word'));
    expect(secret.command).toBe('docker secret create --label edgefaas.owned=true edgefaas-registry-htpasswd - >/dev/null');
    expect(secret.stdin).toMatch(/^edgefaas:\$2[aby]\$10\$.{53}\n$/);
  });

  it('puts a private CA where dockerd looks for it, from stdin', () => {
    const step = registryCaStep('registry.lan:5443', '-----BEGIN CERTIFICATE-----\n');
    expect(step.command).toContain("install -d -m 755 /etc/docker/certs.d/registry.lan:5443");
    expect(step.command).toContain("mv /etc/docker/certs.d/registry.lan:5443/ca.crt.edgefaas-new /etc/docker/certs.d/registry.lan:5443/ca.crt");
    expect(step.stdin).toBe('-----BEGIN CERTIFICATE-----\n');
  });

  it('uses the routing mesh for the registry where IPVS is there', () => {
    expect(registryServiceStep({ image: 'registry:2.8.3', port: 5001, ipvs: true, auth: false }).command).toBe(
      "docker service create --detach --no-resolve-image --name edgefaas-registry --label edgefaas.owned=true --constraint 'node.labels.edgefaas.gateway == true' " +
        '--publish published=5001,target=5000 ' +
        '--mount type=volume,source=edgefaas-registry,target=/var/lib/registry --restart-condition any registry:2.8.3',
    );
  });
});
