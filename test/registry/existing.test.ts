import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunction, edgefaasOnLab } from '../deploy/support.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

/**
 * The "existing registry" world on real parts: the lab runs a registry host of its own (Debian's
 * docker-registry, HTTPS from the lab's private CA, basic auth), cluster.yaml points at it with its
 * CA and a password file, and up → images push → deploy → re-deploy go through it.
 * Lab reg1 on 10.99.51.0/24.
 */
const REGISTRY = '10.99.51.5:5443';

let lab: TestLab;

const edgefaas = (args: string[], config = lab.clusterFile) => edgefaasOnLab(lab, args, undefined, config);

beforeAll(async () => {
  await buildFunction();
  lab = await startLab({ name: 'reg1', subnet: '10.99.51.0/24', nodes: 2, registry: 'external' });
  const up = await edgefaas(['up', '--yes']);
  if (up.code !== 0) throw new Error(`edgefaas up failed: ${up.stderr}\n${up.stdout}`);
}, 1_800_000);

afterAll(async () => {
  await lab?.stop();
});

describe('an existing registry with TLS from a private CA and basic auth (lab reg1)', () => {
  it('the lab made it with its own CA: keys and password 0600, certificates 0644, cluster.yaml naming CA and password file', async () => {
    const r = lab.info.registry!;
    expect(r.address).toBe(REGISTRY);
    const dir = join(lab.home, 'labs', 'reg1', 'registry');
    const mode = async (f: string) => (await stat(join(dir, f))).mode & 0o777;
    expect([await mode('ca.key'), await mode('registry.key'), await mode('password'), await mode('htpasswd')]).toEqual([0o600, 0o600, 0o600, 0o600]);
    expect([await mode('ca.crt'), await mode('registry.crt')]).toEqual([0o644, 0o644]);
    const doc = parse(await readFile(lab.clusterFile, 'utf8'));
    expect(doc.registry).toEqual({ mode: 'external', address: REGISTRY, ca: join(dir, 'ca.crt'), username: 'lab', password: { file: join(dir, 'password') } });
  });

  it('up trusts it on every node through its CA in certs.d, and no daemon.json lists it as insecure', async () => {
    const ca = await readFile(lab.info.registry!.caFile, 'utf8');
    for (const i of [0, 1]) {
      const daemon = JSON.parse(await onNode(lab, i, 'cat /etc/docker/daemon.json'));
      expect(daemon['insecure-registries'] ?? []).not.toContain(REGISTRY);
      expect(await onNode(lab, i, `cat /etc/docker/certs.d/${REGISTRY}/ca.crt`)).toBe(ca);
    }
  });

  it('images push sends the image over verified HTTPS with the credentials', { timeout: 1_200_000 }, async () => {
    const r = await edgefaas(['images', 'push', '--base', 'debian']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^list\\s+sha256:[0-9a-f]{64}\\s+${REGISTRY.replace(/\./g, '\\.')}/edgefaas/function:`, 'm'));
  });

  it('deploy pulls on the nodes with registryAuth, pinned by digest, answers, and a re-deploy works', { timeout: 1_200_000 }, async () => {
    const first = await edgefaas(['deploy', '--function', 'classify']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(first.stdout).toMatch(/^classify: (created|updated), \d+ replica\(s\), (malamute|Eskimo_dog|Siberian_husky) \d\.\d{3}$/m);
    const image = JSON.parse(await onNode(lab, 0, "docker service inspect classify --format '{{json .Spec.TaskTemplate.ContainerSpec.Image}}'"));
    expect(image).toMatch(new RegExp(`^${REGISTRY.replace(/\./g, '\\.')}/edgefaas/function:[0-9a-f]+@sha256:[0-9a-f]{64}$`));
    const again = await edgefaas(['deploy', '--function', 'classify']);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toMatch(/^classify: updated, \d+ replica\(s\), (malamute|Eskimo_dog|Siberian_husky) \d\.\d{3}$/m);
  });

  it('a wrong password gives a clear error naming the registry, before anything is built or deployed', { timeout: 600_000 }, async () => {
    const wrongFile = join(lab.home, 'wrong-registry-password');
    await writeFile(wrongFile, 'not-the-password\n', { mode: 0o600 });
    const doc = parse(await readFile(lab.clusterFile, 'utf8'));
    doc.registry.password = { file: wrongFile };
    const wrong = join(lab.home, 'wrong-registry.yaml');
    await writeFile(wrong, stringify(doc));
    const push = await edgefaas(['images', 'push', '--base', 'debian'], wrong);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain(`registry ${REGISTRY} refused the credentials of user lab`);
    expect(push.stderr).not.toContain('not-the-password');
    const deploy = await edgefaas(['deploy', '--function', 'classify', '--no-smoke'], wrong);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(`registry ${REGISTRY} refused the credentials of user lab`);
  });
});
