import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterSpec } from '../inventory/schema.ts';
import type { ExecOptions, ExecResult, Runner } from '../plan/types.ts';
import { swarmUp } from './up.ts';
import type { StepProgress } from '../orchestrator/contract.ts';

/**
 * A scripted cluster: each fake node keeps the state the commands would change (docker installed,
 * running, swarm membership) and answers the probe from it, so swarmUp's orchestration is checked
 * without SSH. The lab test (test/swarm) runs the same code against real hosts.
 */
interface FakeNode { name: string; arch: string; docker: boolean; running: boolean; swarm: 'inactive' | 'active'; nodeId: string; manager: boolean }
const TOKENS = { worker: 'SWMTKN-1-fake-worker-token', manager: 'SWMTKN-1-fake-manager-token' };

function fakeCluster(nodes: FakeNode[], events: string[], names: Record<string, string> = {}, commands: Array<{ node: string; command: string; stdin?: string }> = []) {
  const leader = () => nodes.find((n) => n.manager && n.swarm === 'active');
  const probe = (n: FakeNode) =>
    [
      `arch=${n.arch}`, 'ip=172.17.0.1', 'os=debian', 'svc=systemd', `docker_installed=${+n.docker}`, 'docker_apt_repo=0', `docker_group=${+n.docker}`, 'ipvs=1',
      ...(n.docker ? [`daemon_json=${Buffer.from('{"insecure-registries":["10.0.0.1:5000"],"log-driver":"json-file","log-opts":{"max-size":"10m","max-file":"3"}}').toString('base64')}`] : []),
      `docker_running=${+n.running}`,
      ...(n.running ? [`swarm_state=${n.swarm}`, `swarm_node_id=${n.nodeId}`, `swarm_manager=${n.manager && n.swarm === 'active'}`] : []),
      ...(n.manager && n.swarm === 'active' && leader() === n
        ? nodes.filter((x) => x.swarm === 'active' && x.nodeId.startsWith('id-')).map((x) => `node=${x.nodeId}|${x.name}|${x.manager ? 'manager' : 'worker'}|ready|active|a|${x.arch}|`)
        : []),
    ].join('\n');
  return (node: FakeNode): Runner => ({
    node: node.name,
    async exec(command: string, o: ExecOptions = {}): Promise<ExecResult> {
      const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', code: 0, ms: 1 });
      commands.push({ node: node.name, command, stdin: o.stdin });
      if (command.includes('echo "arch=$(uname -m)"')) return ok(probe(node));
      if (command.includes('getent ahosts')) return ok([...command.matchAll(/echo "@@([^"]+)"/g)].map(([, h]) => `@@${h}\n${names[h!] ?? ''}`).join('\n'));
      if (command.includes('apt-get install')) node.docker = true;
      if (command.includes('systemctl enable --now docker')) node.running = true;
      if (command.startsWith('docker swarm init')) Object.assign(node, { swarm: 'active', manager: true, nodeId: `id-${node.name}` });
      if (command.startsWith('docker swarm join-token')) return ok(`${TOKENS.worker}\n${TOKENS.manager}\n`);
      // The gateway service after the stack deploy: update complete, its one task running the deployed spec.
      if (command.startsWith('docker service inspect func_gateway ')) {
        const spec = { ContainerSpec: { Image: 'openfaas/gateway:0.18.18-arm64' } };
        return ok(`${JSON.stringify({ Spec: { TaskTemplate: spec } })}\n--- edgefaas tasks ---\n${JSON.stringify({ ID: 't1', DesiredState: 'running', Spec: spec, Status: { State: 'running' } })}\n`);
      }
      if (command.includes('POST /swarm/join')) {
        const body = JSON.parse(o.stdin!);
        events.push(`join-start ${node.name}`);
        await new Promise((r) => setTimeout(r, 30));
        Object.assign(node, { swarm: 'active', manager: body.JoinToken === TOKENS.manager, nodeId: `id-${node.name}` });
        events.push(`join-end ${node.name}`);
      }
      return ok();
    },
    async upload() {},
    async close() {},
  });
}

const bare = (name: string): FakeNode => ({ name, arch: 'aarch64', docker: false, running: false, swarm: 'inactive', nodeId: '', manager: false });
const fakeFetch = (async (url: string | URL) =>
  new Response(String(url).endsWith('/system/functions') ? '[]' : '', { status: 200 })) as typeof fetch;

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** What `getent ahosts` prints on the manager, per name. */
const ON_MANAGER: Record<string, string> = { 'pi-1.lan': '127.0.1.1 STREAM pi-1.lan\n10.0.0.1 STREAM\n', 'pi-2.lan': '10.0.0.2 STREAM pi-2.lan\n' };

async function up(specNodes: Array<{ name: string; role: 'manager' | 'worker'; address?: string }>, fakes: FakeNode[], progress?: StepProgress, registry?: unknown) {
  dir ??= await mkdtemp(join(tmpdir(), 'edgefaas-up-'));
  const spec = ClusterSpec.parse({ nodes: specNodes.map((n, i) => ({ ...n, address: n.address ?? `10.0.0.${i + 1}` })), ...(registry ? { registry } : {}) });
  const events: string[] = [];
  const log: string[] = [];
  const commands: Array<{ node: string; command: string; stdin?: string }> = [];
  const runnerFor = fakeCluster(fakes, events, ON_MANAGER, commands);
  const result = await swarmUp({
    spec,
    runner: async (n) => runnerFor(fakes.find((f) => f.name === n.name)!),
    dryRun: false,
    log: (l) => log.push(l),
    passwordFile: join(dir, 'gateway-password'),
    fetch: fakeFetch,
    progress,
    resolve: { lookup: async (h) => ({ 'pi-1.lan': ['10.0.0.1'], 'pi-2.lan': ['10.0.0.2'] })[h] ?? [] },
  });
  return { result, events, log, commands };
}

describe('swarmUp orchestration', () => {
  it('joins three managers one at a time (Raft) and never logs a join token', async () => {
    const fakes = [bare('m1'), bare('m2'), bare('m3')];
    const { result, events, log } = await up([{ name: 'm1', role: 'manager' }, { name: 'm2', role: 'manager' }, { name: 'm3', role: 'manager' }], fakes);
    expect(result.ok).toBe(true);
    expect(fakes.every((f) => f.swarm === 'active' && f.manager)).toBe(true);
    expect(events).toEqual(['join-start m2', 'join-end m2', 'join-start m3', 'join-end m3']);
    expect(log.join('\n')).not.toContain('SWMTKN');
    expect(log).toContain('[m2] join the swarm as manager (manager 10.0.0.1)');
  });

  it('advertises, joins and trusts the registry at the address a DNS name resolves to, not docker0 from hostname -I', async () => {
    const fakes = [bare('m1'), bare('w1')];
    const { result, log } = await up([{ name: 'm1', role: 'manager', address: 'pi-1.lan' }, { name: 'w1', role: 'worker', address: 'pi-2.lan' }], fakes);
    expect(result.ok).toBe(true);
    expect(log).toContain('[m1] swarm init (advertise 10.0.0.1)');
    expect(log).toContain('[w1] join the swarm as worker (manager 10.0.0.1)');
    expect(log.filter((l) => l.includes('insecure-registries'))).toEqual([
      '[m1] merge /etc/docker/daemon.json (insecure-registries 10.0.0.1:5000, log rotation)',
      '[w1] merge /etc/docker/daemon.json (insecure-registries 10.0.0.1:5000, log rotation)',
    ]);
    expect(result.gatewayUrl).toBe('http://10.0.0.1:8080');
  });

  it('refuses an ARMv6 node (Pi Zero) before installing anything on it; the others carry on', async () => {
    const zero = { ...bare('w1'), arch: 'armv6l' };
    const { result, log } = await up([{ name: 'm1', role: 'manager' }, { name: 'w1', role: 'worker' }], [bare('m1'), zero]);
    expect(result.nodes.find((n) => n.node === 'w1')!.error).toMatch(/^w1 is an ARMv6 board \(Pi Zero or Pi 1\): .* die there with SIGILL/);
    expect(log.filter((l) => l.startsWith('[w1]'))).toEqual([]);
    expect(zero.docker).toBe(false);
    expect(result.nodes.find((n) => n.node === 'm1')!.ok).toBe(true);
  });

  it('joins workers in parallel', async () => {
    const { events } = await up([{ name: 'm1', role: 'manager' }, { name: 'w1', role: 'worker' }, { name: 'w2', role: 'worker' }], [bare('m1'), bare('w1'), bare('w2')]);
    expect(events.slice(0, 2).sort()).toEqual(['join-start w1', 'join-start w2']);
  });

  it('refuses a node that is in another swarm, and the others finish', async () => {
    const stranger = { ...bare('w2'), docker: true, running: true, swarm: 'active' as const, nodeId: 'other-swarm-7' };
    const { result } = await up([{ name: 'm1', role: 'manager' }, { name: 'w1', role: 'worker' }, { name: 'w2', role: 'worker' }], [bare('m1'), bare('w1'), stranger]);
    expect(result.ok).toBe(false);
    expect(result.nodes.find((n) => n.node === 'w2')!.error).toBe(
      'w2 (10.0.0.3) is in another swarm (node id other-swarm-7); edgefaas does not take a node out of a swarm it did not make: remove it from cluster.yaml, or take it out of that swarm yourself (docker swarm leave on it, once nothing there needs it); then run: edgefaas up',
    );
    expect(result.nodes.filter((n) => n.node !== 'w2').every((n) => n.ok)).toBe(true);
  });

  it('trusts an existing TLS registry through its CA on every node, never as insecure, and sends no password anywhere', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefaas-up-'));
    const ca = join(dir, 'ca.crt');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
    await writeFile(ca, pem);
    const registry = { mode: 'external', address: 'registry.lan:5443', ca, username: 'ci', password: { env: 'REG_PASS_UNUSED' } };
    const { result, commands } = await up([{ name: 'm1', role: 'manager' }, { name: 'w1', role: 'worker' }], [bare('m1'), bare('w1')], undefined, registry);
    expect(result.ok).toBe(true);
    for (const node of ['m1', 'w1']) {
      const trust = commands.filter((c) => c.node === node && c.command.includes('/etc/docker/certs.d/registry.lan:5443/ca.crt.edgefaas-new'));
      expect(trust.map((c) => c.stdin)).toEqual([pem]);
      const merge = commands.find((c) => c.node === node && c.command.includes('daemon.json.edgefaas-new'))!;
      expect(merge.command).not.toContain('registry.lan:5443');
    }
    expect(commands.some((c) => c.command.startsWith('docker login'))).toBe(false);
  });

  it("logs every node's root in to the LAN registry with the generated password on stdin, after its htpasswd secret and the service with auth", async () => {
    const { result, commands } = await up([{ name: 'm1', role: 'manager' }, { name: 'w1', role: 'worker' }], [bare('m1'), bare('w1')]);
    expect(result.ok).toBe(true);
    const password = (await readFile(join(dir!, 'registry-password'), 'utf8')).trim();
    expect(password).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(join(dir!, 'registry-password'))).mode & 0o777).toBe(0o600);
    const m1 = commands.filter((c) => c.node === 'm1').map((c) => c.command);
    const secretAt = m1.findIndex((c) => c.startsWith('docker secret create --label edgefaas.owned=true edgefaas-registry-htpasswd -'));
    const serviceAt = m1.findIndex((c) => c.includes('--name edgefaas-registry') && c.includes('--secret edgefaas-registry-htpasswd'));
    expect(secretAt).toBeGreaterThanOrEqual(0);
    expect(serviceAt).toBeGreaterThan(secretAt);
    for (const node of ['m1', 'w1']) {
      const logins = commands.filter((c) => c.node === node && c.command.startsWith('docker login'));
      expect(logins.map((c) => [c.command, c.stdin])).toEqual([['docker login --username edgefaas --password-stdin 10.0.0.1:5000 >/dev/null', password]]);
    }
    expect(commands.every((c) => !c.command.includes(password))).toBe(true);
    expect(m1.find((c) => c.includes('docker stack deploy'))).toContain('--with-registry-auth');
  });

  it('reports every node unchanged on a second run', async () => {
    const fakes = [bare('m1'), bare('w1')];
    const nodes = [{ name: 'm1', role: 'manager' as const }, { name: 'w1', role: 'worker' as const }];
    const first = await up(nodes, fakes);
    expect(first.result.changed).toBe(true);
    // The fake keeps no labels, secrets or stack, so only the swarm/docker parts can be idempotent here.
    const second = await up(nodes, fakes);
    expect(second.log.filter((l) => /install|swarm init|join the swarm/.test(l))).toEqual([]);
  });

  it('reports each step as a row to the progress display: started then changed, already right, or the node failed', async () => {
    const rows: string[] = [];
    const progress: StepProgress = {
      start: (node, step) => rows.push(`${node} start ${step}`),
      done: (node, step, outcome) => rows.push(`${node} ${outcome} ${step}`),
      fail: (node, err) => rows.push(`${node} failed ${(err as Error).message}`),
    };
    const stranger = { ...bare('w2'), docker: true, running: true, swarm: 'active' as const, nodeId: 'other-swarm-7' };
    const { log } = await up([{ name: 'm1', role: 'manager' }, { name: 'w1', role: 'worker' }, { name: 'w2', role: 'worker' }], [bare('m1'), bare('w1'), stranger], progress);
    const of = (node: string) => rows.filter((r) => r.startsWith(`${node} `)).map((r) => r.slice(node.length + 1));
    expect(of('w1').slice(0, 6)).toEqual([
      'start connect and look around (read-only)',
      'unchanged connect and look around (read-only)',
      'start record the original /etc/docker/daemon.json in /var/lib/edgefaas/state.json',
      'changed record the original /etc/docker/daemon.json in /var/lib/edgefaas/state.json',
      expect.stringMatching(/^start merge \/etc\/docker\/daemon\.json/),
      expect.stringMatching(/^changed merge \/etc\/docker\/daemon\.json/),
    ]);
    expect(of('w1')).toContain('start install docker.io');
    expect(of('w1')).toContain('changed join the swarm as worker (manager 10.0.0.1)');
    // Labels run on the manager but are w1's row; then root on w1 logs in to the LAN registry.
    expect(of('w1').at(-3)).toMatch(/^changed label /);
    expect(of('w1').slice(-2)).toEqual(['start log in to registry 10.0.0.1:5000 as edgefaas', 'changed log in to registry 10.0.0.1:5000 as edgefaas']);
    expect(of('m1')).toContain('changed generate the gateway password');
    expect(of('m1').slice(-2)).toEqual(['start wait for the gateway to answer', 'unchanged wait for the gateway to answer']);
    expect(of('w2')).toEqual([
      'start connect and look around (read-only)',
      'unchanged connect and look around (read-only)',
      'unchanged Docker installed, configured and running',
      expect.stringMatching(/^failed w2 \(10\.0\.0\.3\) is in another swarm/),
    ]);
    // With rows to show them, step titles are not also logged as lines.
    expect(log.filter((l) => /^\[\w+\] /.test(l))).toEqual([]);
  });
});
