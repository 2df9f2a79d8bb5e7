import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deployStackSteps, renderSwarmStack, createSecretSteps } from './swarm-stack.ts';
import { STACK_ARCHES, tagSuffixFor } from './swarm-stack-images.ts';

const base = { gatewayArch: 'x86_64', gatewayNode: 'pi-1', ipvs: true, gatewayPort: 8080, auth: true };
const services = (o: Parameters<typeof renderSwarmStack>[0]) => parse(renderSwarmStack(o).files['openfaas.yml']!).services;

describe('renderSwarmStack', () => {
  it('keeps the upstream images pinned by tag on x86_64, with the routing mesh where IPVS is there', () => {
    const s = services(base);
    expect(Object.keys(s)).toEqual(['gateway', 'basic-auth-plugin', 'faas-swarm', 'nats', 'queue-worker', 'prometheus', 'alertmanager']);
    expect(s.gateway.image).toBe('openfaas/gateway:0.18.18');
    expect(s['faas-swarm'].image).toBe('openfaas/faas-swarm:0.9.0');
    expect(s.gateway.ports).toEqual([{ target: 8080, published: 8080, protocol: 'tcp' }]);
    expect(s.gateway.deploy.endpoint_mode).toBeUndefined();
  });

  it.each(STACK_ARCHES.map((r) => [r.machine, r.tagSuffix]))('on %s gives gateway, plugin and provider the %s tags', (machine, suffix) => {
    const s = services({ ...base, gatewayArch: machine });
    expect(s.gateway.image).toBe(`openfaas/gateway:0.18.18${suffix}`);
    expect(s['basic-auth-plugin'].image).toBe(`openfaas/basic-auth-plugin:0.18.18${suffix}`);
    expect(s['faas-swarm'].image).toBe(`openfaas/faas-swarm:0.9.0${suffix}`);
    expect(s.nats.image).toBe('nats-streaming:0.17.0');
  });

  it("runs faas-swarm with the Docker API version up chose inside the manager's range", () => {
    expect(services(base)['faas-swarm'].environment.DOCKER_API_VERSION).toBe('1.30');
    expect(services({ ...base, dockerApiVersion: '1.44' })['faas-swarm'].environment.DOCKER_API_VERSION).toBe('1.44');
  });

  it('picks the variant by the userland, not the kernel: a 64-bit kernel under 32-bit Raspberry Pi OS gets -armhf', () => {
    expect(services({ ...base, gatewayArch: 'aarch64', gatewayUserland: 'armhf' }).gateway.image).toBe('openfaas/gateway:0.18.18-armhf');
  });

  it('refuses an ARMv6 control-plane node (the -armhf images are ARMv7)', () => {
    expect(() => services({ ...base, gatewayArch: 'armv6l', gatewayUserland: 'armhf' })).toThrow(/pi-1 is an ARMv6 board \(Pi Zero or Pi 1\)/);
  });

  it('refuses an arch with no images, pointing at the override', () => {
    expect(() => tagSuffixFor('riscv64', 'box')).toThrow(/box is riscv64; OpenFaaS images exist for .*: set openfaas.images in cluster.yaml/);
  });

  it('without IPVS: dnsrr everywhere and host-mode ports', () => {
    const s = services({ ...base, ipvs: false, gatewayPort: 8081 });
    for (const svc of Object.values(s) as Array<{ deploy: { endpoint_mode: string } }>) expect(svc.deploy.endpoint_mode).toBe('dnsrr');
    expect(s.gateway.ports).toEqual([{ target: 8080, published: 8081, protocol: 'tcp', mode: 'host' }]);
    expect(s.prometheus.ports[0].mode).toBe('host');
  });

  it('without IPVS routes invocations gateway -> faas-swarm -> tasks.NAME; with IPVS keeps the direct path', () => {
    const without = services({ ...base, ipvs: false });
    expect(without.gateway.environment.direct_functions).toBe('false');
    expect(without['faas-swarm'].environment.dnsrr).toBe('true');
    expect(without['faas-swarm'].deploy.endpoint_mode).toBe('dnsrr');
    const withIpvs = services(base);
    expect(withIpvs.gateway.environment.direct_functions).toBe('true');
    expect(withIpvs['faas-swarm'].environment.dnsrr).toBe('false');
    // The gateway has no dnsrr setting: the compose file's old one was never read.
    expect(without.gateway.environment.dnsrr).toBeUndefined();
  });

  it('gives a stack without nats no NATS settings and no queue-worker', () => {
    const s = services({ ...base, images: { nats: null } });
    expect(s.gateway.environment.faas_nats_address).toBeUndefined();
    expect(s.gateway.environment.faas_nats_port).toBeUndefined();
    expect(s['queue-worker']).toBeUndefined();
    expect(services(base).gateway.environment).toMatchObject({ faas_nats_address: 'nats', faas_nats_port: '4222' });
  });

  it('applies image overrides and leaves out services set to null', () => {
    const s = services({ ...base, images: { gateway: '127.0.0.1:5000/edgefaas/standin-gateway:1', 'faas-swarm': null, nats: null } });
    expect(s.gateway.image).toBe('127.0.0.1:5000/edgefaas/standin-gateway:1');
    expect(s['faas-swarm']).toBeUndefined();
    expect(s.nats).toBeUndefined();
  });

  it('labels the gateway with a hash that changes with the stack and not otherwise', () => {
    const a = renderSwarmStack(base);
    expect(renderSwarmStack(base).hash).toBe(a.hash);
    expect(renderSwarmStack({ ...base, gatewayPort: 9999 }).hash).not.toBe(a.hash);
    expect(parse(a.files['openfaas.yml']!).services.gateway.deploy.labels['edgefaas.stack.sha256']).toBe(a.hash);
  });

  it('names configs by content so an edited config deploys as a new one', () => {
    const doc = parse(renderSwarmStack(base).files['openfaas.yml']!);
    expect(doc.configs.prometheus_config.name).toMatch(/^func_prometheus_config_[0-9a-f]{10}$/);
  });

  it('turns auth off when cluster.yaml says so', () => {
    expect(services({ ...base, auth: false }).gateway.environment.basic_auth).toBe('false');
  });
});

describe('stack steps', () => {
  it('writes the files then deploys stack func', () => {
    const steps = deployStackSteps(renderSwarmStack(base));
    // The files' contents go on stdin, never in the command line.
    expect(steps[0]!.command).toBe('sh -s');
    expect(steps[0]!.stdin).toContain(`base64 -d > /var/lib/edgefaas/stack/openfaas.yml.edgefaas-new <<'EDGEFAAS_EOF'`);
    expect(steps[0]!.stdin).toContain(Buffer.from('# Rendered by edgefaas up').toString('base64').slice(0, 24));
    expect(steps[1]!.command).toBe('cd /var/lib/edgefaas/stack && docker stack deploy --prune --compose-file openfaas.yml func');
  });

  it('creates only the missing secrets, from stdin', () => {
    const steps = createSecretSteps({ user: false, password: true }, 'pw-123456');
    expect(steps).toEqual([{ title: 'create secret basic-auth-password', command: 'docker secret create --label edgefaas.owned=true basic-auth-password -', stdin: 'pw-123456', sudo: true }]);
  });
});

describe('renderSwarmStack without monitoring', () => {
  it('drops the configs (and their files) that no remaining service uses', () => {
    const r = renderSwarmStack({ ...base, images: { prometheus: null, alertmanager: null } });
    expect(Object.keys(r.files)).toEqual(['openfaas.yml']);
    expect(parse(r.files['openfaas.yml']!).configs).toBeUndefined();
    const onlyAm = renderSwarmStack({ ...base, images: { prometheus: null } });
    expect(Object.keys(onlyAm.files)).toEqual(['openfaas.yml', 'prometheus/alertmanager.yml']);
  });
});
