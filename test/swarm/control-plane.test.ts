import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../kit/gateway/client.ts';
import { loadCluster } from '../../kit/inventory/load.ts';
import { SshPool, poolOptionsFromCluster } from '../../kit/ssh/index.ts';
import { gatewayPasswordFile } from '../../kit/openfaas/credentials.ts';
import { LAN_REGISTRY_USER, lanRegistryPasswordFile } from '../../kit/images/registry-access.ts';
import { sideloadImage } from '../../kit/swarm/sideload.ts';
import { startLab, type TestLab } from '../support/lab.ts';
import { buildEchoImage, edgefaas, onNode } from './support.ts';

const run = promisify(execFile);

/**
 * The OpenFaaS control plane as the real gateway 0.18.18 + faas-swarm 0.9.0 behave on nodes without
 * IPVS (the stand-in made faithful to shared/reference/openfaas-gateway.md, "Measured on a lab
 * swarm"): invocations only work through faas-swarm's dnsrr proxy, a gateway with NATS settings but
 * no NATS exits, and up/status see a gateway that does not run. One lab, tests in order.
 */
describe('the OpenFaaS control plane on a lab without IPVS (lab ctlplane)', () => {
  let lab: TestLab;
  let gw: GatewayClient;
  let gateway: string;
  let photo: string;
  const manager = '10.99.21.11';
  const fnImage = `${manager}:5000/edgefaas/ctl-echo:1`;

  beforeAll(async () => {
    lab = await startLab({ name: 'ctlplane', subnet: '10.99.21.0/24', nodes: 2 });
    await buildEchoImage(fnImage, { model: 'echo', predictions: [{ label: 'echo', score: 1 }] });
    photo = join(lab.home, 'photo.jpg');
    await fs.writeFile(photo, 'not really a jpeg');
  }, 1_800_000);

  afterAll(async () => {
    await lab?.stop();
  });

  /** Waits until the gateway service's update is no longer in progress; returns its state. */
  async function settled(): Promise<string> {
    return (await onNode(lab, 0, `for i in $(seq 1 90); do s=$(docker service inspect func_gateway --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}'); case "$s" in updating|rollback_started) sleep 2;; *) echo "$s"; exit 0;; esac; done; echo timeout`)).trim();
  }
  async function healthy(): Promise<boolean> {
    for (let i = 0; i < 60; i++) {
      if ((await fetch(`${gateway}/healthz`).catch(() => undefined))?.status === 200) return true;
      await new Promise((r) => setTimeout(r, 2000));
    }
    return false;
  }

  it('up routes calls gateway -> faas-swarm -> tasks.NAME and gives a stack without NATS no NATS settings', { timeout: 1_200_000 }, async () => {
    const up = await edgefaas(lab, ['up', '--yes']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/cluster up in [\d.]+s\. gateway: http:\/\/10\.99\.21\.11:8080/);
    expect(up.stdout).toContain('the gateway calls functions through faas-swarm, which finds their tasks by DNS (tasks.NAME)');
    const env = (svc: string) => onNode(lab, 0, `docker service inspect ${svc} --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'`).then((o) => JSON.parse(o) as string[]);
    const gwEnv = await env('func_gateway');
    expect(gwEnv).toContain('direct_functions=false');
    expect(gwEnv.filter((e) => e.startsWith('faas_nats_') || e.startsWith('dnsrr='))).toEqual([]);
    expect(await env('func_faas-swarm')).toContain('dnsrr=true');
    expect((await onNode(lab, 0, "docker service inspect func_faas-swarm --format '{{.Spec.EndpointSpec.Mode}}'")).trim()).toBe('dnsrr');
    const password = (await fs.readFile(gatewayPasswordFile({ name: 'ctlplane' }, { EDGEFAAS_HOME: lab.home }), 'utf8')).trim();
    gateway = `http://${manager}:8080`;
    gw = new GatewayClient({ baseUrl: gateway, auth: { username: 'admin', password } });
    expect((await gw.info()).provider).toMatchObject({ provider: 'faas-swarm', version: { release: '0.9.0' } });
  });

  it('deploys a function as faas-swarm does (VIP service) on the worker and answers invoke and curl through the provider', { timeout: 600_000 }, async () => {
    const spec = await loadCluster(lab.clusterFile);
    const pool = new SshPool(poolOptionsFromCluster(spec, { env: { ...process.env, EDGEFAAS_HOME: lab.home } }));
    try {
      const runner = await pool.runner(spec.nodes[0]!);
      await sideloadImage(fnImage, runner);
      expect((await runner.exec(`docker push ${fnImage} >/dev/null`, { sudo: true })).code).toBe(0);
    } finally {
      await pool.closeAll();
    }
    // The LAN registry has auth on: a worker pulls with the registryAuth faas-swarm hands to Docker, as deploy sends it.
    const registryPassword = (await fs.readFile(lanRegistryPasswordFile(spec, lab.env), 'utf8')).trim();
    const registryAuth = Buffer.from(`${LAN_REGISTRY_USER}:${registryPassword}`).toString('base64');
    expect(await gw.deployFunction({ service: 'echo', image: fnImage, registryAuth, constraints: ['node.labels.edgefaas.node == pi-2'], labels: { 'com.openfaas.scale.min': '1' } })).toBe('created');
    const svc = JSON.parse(await onNode(lab, 0, "docker service inspect echo --format '{{json .Spec}}'"));
    expect(svc.EndpointSpec).toBeUndefined(); // VIP mode: faas-swarm has no way to ask for dnsrr
    expect(svc.TaskTemplate.ContainerSpec.Labels).toEqual(svc.Labels);
    for (let i = 0; i < 120 && (await gw.getFunction('echo')).availableReplicas < 1; i++) await new Promise((r) => setTimeout(r, 1000));

    const inv = await edgefaas(lab, ['invoke', 'echo', photo]);
    expect(inv.code, inv.stdout + inv.stderr).toBe(0);
    expect(inv.stdout).toBe('echo 1.000\n');
    const curl = await run('curl', ['-sS', '-w', '\n%{http_code}', '--data-binary', `@${photo}`, `${gateway}/function/echo/sub?x=1`]);
    const [body, code] = curl.stdout.split('\n');
    expect(code).toBe('200');
    const seen = JSON.parse(body!);
    expect(seen).toMatchObject({ method: 'POST', url: '/sub?x=1', body: 'not really a jpeg' });
    expect(seen.headers['transfer-encoding']).toBe('chunked'); // Go re-sends bodies chunked
  });

  it('invoke waits through scale from zero and says so when the first answers are not the function', { timeout: 600_000 }, async () => {
    await gw.scaleFunction('echo', 0);
    for (let i = 0; i < 60 && (await gw.getFunction('echo')).availableReplicas > 0; i++) await new Promise((r) => setTimeout(r, 1000));
    const inv = await edgefaas(lab, ['invoke', 'echo', photo]);
    expect(inv.code, inv.stdout + inv.stderr).toBe(0);
    expect(inv.stdout).toBe('echo 1.000\n');
    expect((await gw.getFunction('echo')).replicas).toBe(1);
    console.log(`invoke after scale to zero: ${(inv.ms / 1000).toFixed(1)} s; stderr: ${inv.stderr.trim() || '(nothing)'}`);
    if (inv.stderr) expect(inv.stderr).toMatch(/^function echo answered .*retrying for up to 30 s$/m);
  });

  it('answers async calls as the real gateway without NATS (404) and invoke --async explains', { timeout: 300_000 }, async () => {
    const r = await fetch(`${gateway}/async-function/echo`, { method: 'POST', body: 'x' });
    expect([r.status, await r.text()]).toEqual([404, '404 page not found\n']);
    const inv = await edgefaas(lab, ['invoke', '--async', 'echo', photo]);
    expect(inv.code).toBe(1);
    expect(inv.stderr).toMatch(/async calls need NATS: the gateway at http:\/\/10\.99\.21\.11:8080 has no \/async-function route \(404 page not found\)/);
    // The gateway runs: one task, never restarted.
    expect(await onNode(lab, 0, "docker service ps func_gateway --format '{{.CurrentState}}' --filter desired-state=running")).toMatch(/^Running/);
    expect(await onNode(lab, 0, "docker service ps func_gateway --format '{{.Error}}'")).not.toMatch(/non-zero exit/);
  });

  it('with the old settings (direct_functions=true: the VIP) every call gets 502, as with the real components', { timeout: 600_000 }, async () => {
    await onNode(lab, 0, 'docker service update --detach --env-add direct_functions=true func_gateway >/dev/null');
    expect(await settled()).toBe('completed');
    expect(await healthy()).toBe(true);
    const r = await fetch(`${gateway}/function/echo`, { method: 'POST', body: 'x' });
    expect([r.status, await r.text()]).toEqual([502, '']);
    const inv = await edgefaas(lab, ['invoke', 'echo', photo]);
    expect(inv.code).toBe(1);
    expect(inv.stderr).toMatch(/retrying for up to 30 s/);
    expect(inv.stderr).toMatch(/function echo at http:\/\/10\.99\.21\.11:8080 still answered 502 from the gateway after 30 s of retries/);
    await onNode(lab, 0, 'docker service update --detach --env-add direct_functions=false func_gateway >/dev/null');
    expect(await settled()).toBe('completed');
    expect(await healthy()).toBe(true);
    expect((await fetch(`${gateway}/function/echo`, { method: 'POST', body: 'x' })).status).toBe(200);
  });

  it('a gateway given NATS settings without NATS exits, and up says so from its task', { timeout: 600_000 }, async () => {
    await onNode(lab, 0, 'docker service update --detach --env-add faas_nats_address=nats --env-add faas_nats_port=4222 func_gateway >/dev/null');
    const r = await edgefaas(lab, ['up', '--yes', '--wait', '300']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^pi-1: FAILED: the gateway \(func_gateway\) does not run: .*non-zero exit \(1\).*it printed: .*nats: no servers available for connection.*see: docker service ps --no-trunc func_gateway on pi-1/m);
    await onNode(lab, 0, 'docker service update --detach --env-rm faas_nats_address --env-rm faas_nats_port func_gateway >/dev/null');
    expect(await settled()).toBe('completed');
  });

  it("fails up naming the task's error when the gateway image exits at start, status exits 1, and up with the right image recovers", { timeout: 1_200_000 }, async () => {
    const original = await fs.readFile(lab.clusterFile, 'utf8');
    const doc = parse(original);
    const exiting = await buildExitingGateway(doc.openfaas.images.gateway);
    doc.openfaas.images.gateway = exiting;
    doc.openfaas.sideload = [...doc.openfaas.sideload, exiting];
    await fs.writeFile(lab.clusterFile, stringify(doc));
    try {
      const up = await edgefaas(lab, ['up', '--yes', '--wait', '300']);
      expect(up.code, up.stdout + up.stderr).toBe(1);
      expect(up.stdout).not.toMatch(/cluster up/);
      expect(up.stdout).toMatch(/^pi-1: FAILED: the gateway \(func_gateway\) does not run: .*task: non-zero exit \(3\).*it printed: .*edgefaas test gateway: exiting at start/m);
      const st = await edgefaas(lab, ['status']);
      expect(st.code, st.stdout + st.stderr).toBe(1);
      expect(st.stdout).toContain(`gateway: ${gateway} (not answering /healthz)`);
    } finally {
      await fs.writeFile(lab.clusterFile, original);
    }
    const again = await edgefaas(lab, ['up', '--yes']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/cluster up in/);
    const st = await edgefaas(lab, ['status']);
    expect(st.code, st.stdout + st.stderr).toBe(0);
    expect(st.stdout).toContain(`gateway: ${gateway} (healthy)`);
  });
});

/** The stand-in gateway image with a start command that exits (3) at once, tagged for the loopback registry. */
async function buildExitingGateway(standin: string): Promise<string> {
  const tag = '127.0.0.1:5000/edgefaas/ctl-exiting-gateway:1';
  const dir = await fs.mkdtemp(join(tmpdir(), 'edgefaas-ctl-exit-'));
  try {
    await fs.writeFile(join(dir, 'Dockerfile'), `FROM ${standin}\nCMD ["sh", "-c", "echo 'edgefaas test gateway: exiting at start' >&2; exit 3"]\n`);
    await run('docker', ['build', '-q', '-t', tag, dir], { maxBuffer: 16 << 20 });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return tag;
}
