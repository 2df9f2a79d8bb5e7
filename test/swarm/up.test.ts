import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCluster } from '../../kit/inventory/load.ts';
import { GatewayClient } from '../../kit/gateway/client.ts';
import { FunctionNotFoundError, GatewayError } from '../../kit/gateway/errors.ts';
import { SshPool, poolOptionsFromCluster } from '../../kit/ssh/index.ts';
import { gatewayPasswordFile } from '../../kit/openfaas/credentials.ts';
import { sideloadImage } from '../../kit/swarm/sideload.ts';
import { swarmUp } from '../../kit/swarm/up.ts';
import { RegistryClient } from '../../kit/registry/client.ts';
import { startLab, type TestLab } from '../support/lab.ts';
import { buildEchoImage, edgefaas, onNode, type Run } from './support.ts';

/**
 * `edgefaas up` against three real lab hosts (sshd, user pi with sudo, no Docker): Docker from
 * Debian's apt, a three-node swarm, the LAN registry, the stack with the stand-in gateway; then
 * re-runs, failures and down. One lab, tests in order (each builds on the last).
 */
describe('edgefaas up on Docker Swarm (lab swarmtest)', () => {
  let lab: TestLab;
  let password: string;
  let registryPassword: string;
  let gw: GatewayClient;
  const outputs: Run[] = [];
  const manager = '10.99.2.11';
  const echoImage = `${manager}:5000/edgefaas/echo:1`;

  beforeAll(async () => {
    lab = await startLab({ name: 'swarmtest', subnet: '10.99.2.0/24', nodes: 3 });
    await buildEchoImage(echoImage);
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('turns three bare nodes into a three-node swarm with the stack up and the gateway answering with auth, in one up --yes', { timeout: 900_000 }, async () => {
    for (const i of [0, 1, 2]) expect(await onNode(lab, i, 'command -v dockerd || echo none')).toBe('none\n');
    const up = await edgefaas(lab, ['up', '--yes']);
    outputs.push(up);
    expect(up.stderr).toBe('');
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/cluster up in [\d.]+s\. gateway: http:\/\/10\.99\.2\.11:8080/);
    expect(up.stdout).toContain('note: no IPVS on pi-1, pi-2, pi-3: services use --endpoint-mode dnsrr and host-mode published ports');
    console.log(`first up on 3 bare nodes (apt install of docker.io included): ${(up.ms / 1000).toFixed(1)} s`);

    const nodes = await onNode(lab, 0, "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' | sort");
    expect(nodes).toBe('pi-1 Ready Leader\npi-2 Ready \npi-3 Ready \n');
    const labels = await onNode(lab, 0, "docker node inspect pi-2 --format '{{json .Spec.Labels}}'");
    expect(JSON.parse(labels)).toEqual({ 'edgefaas.arch': 'x86_64', 'edgefaas.node': 'pi-2', 'edgefaas.role': 'worker' });
    expect(await onNode(lab, 1, 'id -nG pi')).toMatch(/\bdocker\b/);
    expect(JSON.parse(await onNode(lab, 2, 'cat /etc/docker/daemon.json'))['insecure-registries']).toEqual(['10.99.2.11:5000']);
    // The LAN registry: basic auth with a generated password (0600 here), every node's root logged in.
    const regFile = join(lab.home, 'swarmtest', 'registry-password');
    expect((await fs.stat(regFile)).mode & 0o777).toBe(0o600);
    registryPassword = (await fs.readFile(regFile, 'utf8')).trim();
    const loginKey = Buffer.from(`edgefaas:${registryPassword}`).toString('base64');
    for (const i of [0, 1, 2]) expect(JSON.parse(await onNode(lab, i, 'cat /root/.docker/config.json')).auths['10.99.2.11:5000'].auth).toBe(loginKey);
    const anonymousPush = new RegistryClient({ address: '10.99.2.11:5000', tls: 'none' });
    await expect(anonymousPush.uploadBlob('edgefaas/anything', Buffer.from('unauthenticated push'))).rejects.toThrow('registry 10.99.2.11:5000 wants a login');
    const wrongPassword = new RegistryClient({ address: '10.99.2.11:5000', tls: 'none', auth: { username: 'edgefaas', password: 'wrong' } });
    await expect(wrongPassword.login()).rejects.toThrow('registry 10.99.2.11:5000 refused the credentials of user edgefaas');

    const file = gatewayPasswordFile({ name: 'swarmtest' }, { EDGEFAAS_HOME: lab.home });
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    password = (await fs.readFile(file, 'utf8')).trim();
    expect(password).toMatch(/^[0-9a-f]{64}$/);
    gw = new GatewayClient({ baseUrl: `http://${manager}:8080`, auth: { username: 'admin', password } });
    expect(await gw.healthz()).toBe(true);
    expect(await gw.listFunctions()).toEqual([]);
    const anonymous = await fetch(`http://${manager}:8080/system/functions`);
    expect([anonymous.status, await anonymous.text()]).toEqual([401, 'invalid credentials']);
  });

  it('changes nothing on a second up, and says so', async () => {
    const again = await edgefaas(lab, ['up', '--yes']);
    outputs.push(again);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^pi-1: already up, nothing changed$/m);
    expect(again.stdout).toMatch(/^pi-3: already up, nothing changed$/m);
    expect(again.stdout).toMatch(/nothing to change: the cluster is already up/);
    expect(again.stdout).toMatch(/^0 changed, \d+ already right, 0 failed$/m);
    expect(again.stdout).toMatch(/^\[COMPLETED\] pi-2: no changes, \d+ already right$/m);
    // Rows name only the read-only look and the gateway check: no step that changes a node ran.
    const steps = again.stdout.split('\n').filter((l) => /^\[OUTPUT\] \[pi-\d\] /.test(l)).map((l) => l.replace(/^\[OUTPUT\] \[pi-\d\] /, ''));
    expect(new Set(steps)).toEqual(new Set(['connect and look around (read-only)', 'wait for the gateway to answer']));
  });

  it('status shows nodes with arch, role and state, services with replicas, and the gateway URL', async () => {
    const st = await edgefaas(lab, ['status']);
    outputs.push(st);
    expect(st.code, st.stdout + st.stderr).toBe(0);
    expect(st.stdout).toMatch(/^pi-1\s+10\.99\.2\.11\s+x86_64\s+manager\s+ready$/m);
    expect(st.stdout).toMatch(/^pi-3\s+10\.99\.2\.13\s+x86_64\s+worker\s+ready$/m);
    expect(st.stdout).toMatch(/^func_gateway\s+1\/1\s+127\.0\.0\.1:5000\/edgefaas\/standin-gateway:/m);
    expect(st.stdout).toMatch(/^edgefaas-registry\s+1\/1\s+/m);
    expect(st.stdout).toMatch(/^func_prometheus\s+1\/1\s+/m);
    expect(st.stdout).toMatch(/^func_alertmanager\s+1\/1\s+/m);
    expect(st.stdout).toContain('gateway: http://10.99.2.11:8080 (healthy)');
  });

  it("runs the real Prometheus (Debian's), scraping the gateway's metrics on :8082", { timeout: 120_000 }, async () => {
    let value: string | undefined;
    for (let i = 0; i < 50 && value !== '1'; i++) {
      const r = await fetch(`http://${manager}:9090/api/v1/query?query=${encodeURIComponent('up{job="gateway"}')}`).catch(() => undefined);
      const body = r?.ok ? ((await r.json()) as { data: { result: Array<{ value: [number, string] }> } }) : undefined;
      value = body?.data.result[0]?.value[1];
      if (value !== '1') await new Promise((res) => setTimeout(res, 2000));
    }
    expect(value).toBe('1');
  });

  it('deploys a function through the stand-in as a real Swarm service a worker pulls from the LAN registry, and invokes it across nodes', { timeout: 300_000 }, async () => {
    const spec = await loadCluster(lab.clusterFile);
    const pool = new SshPool(poolOptionsFromCluster(spec, { env: { ...process.env, EDGEFAAS_HOME: lab.home } }));
    try {
      const runner = await pool.runner(spec.nodes[0]!);
      await sideloadImage(echoImage, runner);
      expect((await runner.exec(`docker push ${echoImage} >/dev/null`, { sudo: true })).code).toBe(0);
    } finally {
      await pool.closeAll();
    }
    // An old faas-cli body (every key, nulls, namespace) must be accepted, as the provider does.
    const legacy = {
      service: 'echo', image: echoImage, network: '', envProcess: 'node /srv/server.js', envVars: { write_timeout: '10s' },
      constraints: ['node.labels.edgefaas.node == pi-2'], secrets: [], labels: { 'com.openfaas.scale.min': '1' }, annotations: { team: 'lab' },
      limits: null, requests: null, readOnlyRootFilesystem: false, namespace: 'openfaas-fn',
      // pi-2 pulls from the LAN registry with these (faas-swarm hands them to Swarm with the service).
      registryAuth: Buffer.from(`edgefaas:${registryPassword}`).toString('base64'),
    };
    expect(await gw.deployFunction(legacy as never)).toBe('created');
    let ready = false;
    for (let i = 0; i < 120 && !ready; i++) {
      ready = (await gw.getFunction('echo')).availableReplicas > 0;
      if (!ready) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(ready).toBe(true);
    expect(await onNode(lab, 0, "docker service ps echo --filter desired-state=running --format '{{.Node}}'")).toBe('pi-2\n');
    const svc = JSON.parse(await onNode(lab, 0, 'docker service inspect echo --format "{{json .Spec}}"'));
    expect(svc.Labels).toEqual({ 'com.openfaas.annotations.team': 'lab', 'com.openfaas.function': 'echo', 'com.openfaas.scale.min': '1', function: 'true' });
    expect(svc.TaskTemplate.ContainerSpec.Env).toEqual(['fprocess=node /srv/server.js', 'write_timeout=10s']);
    expect(svc.TaskTemplate.RestartPolicy).toMatchObject({ Condition: 'any', MaxAttempts: 5 });

    const res = await gw.invoke('echo', 'meow', { path: '/sub', query: 'x=1' });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body.toString());
    expect(seen).toMatchObject({ method: 'POST', url: '/sub?x=1', body: 'meow', fprocess: 'node /srv/server.js' });
    expect(seen.headers['x-forwarded-for']).toMatch(/^10\.99\.2\.\d+:\d+$/);
    expect((await gw.listFunctions())[0]).toMatchObject({ name: 'echo', invocationCount: 1, replicas: 1, annotations: { team: 'lab' } });

    const dup = await gw.createFunction({ service: 'echo', image: echoImage }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(GatewayError);
    expect((dup as GatewayError).status).toBe(400);
    expect((dup as GatewayError).body).toMatch(/^Deployment error: /);

    await gw.deleteFunction('echo');
    await expect(gw.deleteFunction('echo')).rejects.toBeInstanceOf(FunctionNotFoundError);
    // The gateway caches a function it saw with replicas for 5 s (scaling/function_cache.go), and
    // the removed task stops a moment later: a call right after the delete may still be answered.
    let after: unknown;
    for (let i = 0; i < 60 && !(after instanceof FunctionNotFoundError); i++) {
      after = await gw.invoke('echo').catch((e: unknown) => e);
      if (!(after instanceof FunctionNotFoundError)) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(after).toBeInstanceOf(FunctionNotFoundError);
  });

  it('reports a dockerd killed in the middle of up, and the next run converges', { timeout: 600_000 }, async () => {
    // pi-3 leaves, so up has to join it again; its dockerd dies just before the join.
    await onNode(lab, 2, 'docker swarm leave');
    await onNode(lab, 0, 'for i in $(seq 1 30); do [ "$(docker node inspect pi-3 --format "{{.Status.State}}")" = down ] && break; sleep 1; done; docker node rm --force pi-3');
    const spec = await loadCluster(lab.clusterFile);
    const pool = new SshPool(poolOptionsFromCluster(spec, { env: { ...process.env, EDGEFAAS_HOME: lab.home } }));
    const lines: string[] = [];
    let killed = false;
    try {
      const result = await swarmUp({
        spec,
        runner: (n) => pool.runner(n),
        dryRun: false,
        passwordFile: gatewayPasswordFile(spec, { EDGEFAAS_HOME: lab.home }),
        log: (line) => {
          lines.push(line);
          if (line.startsWith('[pi-3] join the swarm') && !killed) {
            killed = true;
            execFileSync('docker', ['exec', lab.info.nodes[2]!.container, 'sh', '-c', 'kill -9 $(cat /var/run/docker.pid); while [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1; do sleep 0.2; done']);
          }
        },
        gatewayWaitMs: 120_000,
      });
      expect(killed).toBe(true);
      expect(result.ok).toBe(false);
      const pi3 = result.nodes.find((n) => n.node === 'pi-3')!;
      expect(pi3.ok).toBe(false);
      expect(pi3.error).toMatch(/^pi-3: "join the swarm as worker \(manager 10\.99\.2\.11\)" failed \(exit \d+\): .*docker\.sock/);
      expect(result.nodes.filter((n) => n.node !== 'pi-3').every((n) => n.ok)).toBe(true);
    } finally {
      await pool.closeAll();
    }
    const next = await edgefaas(lab, ['up', '--yes']);
    outputs.push(next);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toContain('[pi-3] start and enable docker (init script)');
    expect(next.stdout).toContain('[pi-3] join the swarm as worker (manager 10.99.2.11)');
    expect(await onNode(lab, 0, "docker node ls --filter name=pi-3 --format '{{.Status}}'")).toBe('Ready\n');
  });

  it('gives a clear error for an unreachable node, a wrong sudo password and a failing command, each with its next step, and the others finish', { timeout: 300_000 }, async () => {
    // pi-3's daemon.json loses the LAN registry and /etc/docker turns read-only: up's merge step fails there.
    const daemonJson = await onNode(lab, 2, 'cat /etc/docker/daemon.json');
    await onNode(lab, 2, 'echo "{}" > /etc/docker/daemon.json && mount --bind /etc/docker /etc/docker && mount -o remount,bind,ro /etc/docker');
    const doc = parse(await fs.readFile(lab.clusterFile, 'utf8'));
    const wrong = join(lab.home, 'wrong-sudo-password');
    await fs.writeFile(wrong, 'not-the-password\n', { mode: 0o600 });
    doc.nodes[1].sudoPassword = { file: wrong };
    doc.nodes.push({ ...doc.nodes[2], name: 'pi-4', address: lab.unreachable });
    doc.ssh.timeoutSeconds = 5;
    const broken = join(lab.home, 'broken.yaml');
    await fs.writeFile(broken, stringify(doc));
    const r = await edgefaas(lab, ['up', '--yes'], { config: broken }).finally(() =>
      onNode(lab, 2, `umount /etc/docker; printf '%s' '${daemonJson.replace(/'/g, `'\\''`)}' > /etc/docker/daemon.json`),
    );
    outputs.push(r);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^pi-2: FAILED: pi-2: sudo refused the password for pi on pi@10\.99\.2\.12:22 \(wrong password\)/m);
    expect(r.stdout).toMatch(new RegExp(`^pi-4: FAILED: .*${lab.unreachable.replace(/\./g, '\\.')}`, 'm'));
    expect(r.stdout).toMatch(/^pi-1: already up, nothing changed$/m);
    expect(r.stdout).toMatch(/^pi-3: FAILED: pi-3: "merge \/etc\/docker\/daemon\.json \(.*insecure-registries.*\)" failed \(exit \d+\): .*Read-only file system/m);
    expect(r.stdout).toMatch(/up finished with errors .*run: edgefaas up/);
    // The summary: counts, then each failed node with the command, its stderr tail and the next step.
    expect(r.stdout).toMatch(/^\d+ changed, \d+ already right, 3 failed$/m);
    const summary = r.stdout.slice(r.stdout.search(/^\d+ changed, /m));
    expect(summary).toMatch(/^pi-3: merge \/etc\/docker\/daemon\.json \(.*\) failed: exit \d+\n  \$ sudo sh -c '[^\n]*\/etc\/docker\/daemon\.json[\s\S]*?\n  .*Read-only file system.*\n(  .*\n)*  next: edgefaas doctor --node pi-3$/m);
    expect(summary).toMatch(/^pi-2: connect and look around \(read-only\) failed: pi-2: sudo refused the password for pi .*\n  next: edgefaas doctor --node pi-2$/m);
    expect(summary).toMatch(new RegExp(`^pi-4: connect and look around \\(read-only\\) failed: .*${lab.unreachable.replace(/\./g, '\\.')}.*\\n  next: edgefaas doctor --node pi-4$`, 'm'));
    // The row of the failed node shows the same while up runs.
    expect(r.stdout).toMatch(/^\[FAILED\] pi-3: failed at merge \/etc\/docker\/daemon\.json/m);
    expect(await onNode(lab, 2, 'cat /etc/docker/daemon.json')).toBe(daemonJson);
  });

  it('never shows the gateway password or a join token, even with --verbose', async () => {
    const verbose = await edgefaas(lab, ['--verbose', 'up', '--yes']);
    outputs.push(verbose);
    expect(verbose.code, verbose.stdout + verbose.stderr).toBe(0);
    expect(verbose.stderr).toMatch(/pi-1\$ sudo /);
    const tokens = (await onNode(lab, 0, 'docker swarm join-token -q worker; docker swarm join-token -q manager')).trim().split('\n');
    expect(tokens).toHaveLength(2);
    const all = outputs.map((o) => o.stdout + o.stderr).join('\n');
    for (const secret of [password, ...tokens]) expect(all).not.toContain(secret);
    const files = (await fs.readdir(lab.home, { recursive: true })).map(String).filter((f) => !f.endsWith('gateway-password'));
    for (const f of files) {
      const stat = await fs.stat(join(lab.home, f));
      if (stat.isFile()) expect(await fs.readFile(join(lab.home, f), 'utf8')).not.toContain(password);
    }
  });

  it('down removes the stack and leaves the swarm but keeps Docker; up brings it back', { timeout: 600_000 }, async () => {
    const down = await edgefaas(lab, ['down', '--yes']);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    for (const i of [0, 1, 2]) {
      expect(await onNode(lab, i, "docker info --format '{{.Swarm.LocalNodeState}}'")).toBe('inactive\n');
      expect(await onNode(lab, i, 'command -v dockerd')).toBe('/usr/sbin/dockerd\n');
    }
    expect(await gw.healthz().catch(() => false)).toBe(false);
    expect(down.stdout).toMatch(/^\[OUTPUT\] \[pi-1\] remove the OpenFaaS stack "func"$/m);
    expect(down.stdout).toMatch(/^\[COMPLETED\] pi-3: 1 changed, 1 already right$/m);
    const again = await edgefaas(lab, ['down', '--yes']);
    const result = again.stdout.split('\n').filter((l) => l && !l.startsWith('['));
    expect(result).toEqual(['0 changed, 6 already right, 0 failed', 'pi-1: nothing to remove', 'pi-2: nothing to remove', 'pi-3: nothing to remove']);
    const up = await edgefaas(lab, ['up', '--yes']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(await gw.listFunctions()).toEqual([]);
  });
});
