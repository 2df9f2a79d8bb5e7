import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type TestLab } from '../support/lab.ts';
import { edgefaas, onNode, type Run } from './support.ts';

const exec = promisify(execFile);

/**
 * edgefaas on hosts the user already runs: two lab hosts with Docker and the user's own swarm
 * (a service, a secret, a daemon.json of their own), pi's password full of `"` and `\`, and a
 * login script (~/.ssh/rc) on pi-2 that prints that password in two pieces. up must refuse without
 * --adopt, deploy beside the user's things with it, survive being cut off right after the
 * daemon.json write, and never show the password; down must leave the user's swarm as it was.
 */
describe('up and down on a swarm the user already runs (lab safe3)', () => {
  let lab: TestLab;
  let password: string;
  const manager = '10.99.33.11';
  const registry = `${manager}:5000`;
  const userDaemonJson = '{"labels": ["owner=user"]}\n';

  const both = (cmd: string) => Promise.all([onNode(lab, 0, cmd), onNode(lab, 1, cmd)]);
  const services = async () => (await onNode(lab, 0, "docker service ls --format '{{.Name}}' | sort")).trim().split('\n');
  const secrets = async () => (await onNode(lab, 0, "docker secret ls --format '{{.Name}}' | sort")).trim().split('\n');
  const insecure = async (i: number) => JSON.parse(await onNode(lab, i, "docker info --format '{{json .RegistryConfig.IndexConfigs}}'")) as Record<string, { Secure: boolean }>;
  const leaked = (text: string) => [password, JSON.stringify(password).slice(1, -1)].some((p) => text.includes(p));

  /** Runs the CLI while sampling every process's argv here and on both nodes; returns the run and all samples. */
  async function sampled(args: string[]): Promise<{ run: Run; argv: string[] }> {
    const argv: string[] = [];
    let done = false;
    const sampler = (async () => {
      for (let i = 0; i < 2000 && !done; i++) {
        const [here, a, b] = await Promise.all([
          exec('ps', ['-eo', 'args'], { maxBuffer: 16 << 20 }).then((r) => r.stdout, () => ''),
          onNode(lab, 0, 'ps -eo args').catch(() => ''),
          onNode(lab, 1, 'ps -eo args').catch(() => ''),
        ]);
        argv.push(here, a, b);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const run = await edgefaas(lab, args).finally(() => (done = true));
    await sampler;
    return { run, argv };
  }

  beforeAll(async () => {
    lab = await startLab({ name: 'safe3', subnet: '10.99.33.0/24', nodes: 2 });
    // pi's password (login and sudo) with the characters that broke redaction; pi-2 logs in with it.
    password = `ra"sp\\b'e"rry-Secret1-${randomBytes(6).toString('hex')}`;
    await fs.writeFile(lab.info.files.passwordFile, password, { mode: 0o600 });
    for (const i of [0, 1]) await feed(i, 'chpasswd', `pi:${password}\n`);
    const doc = parse(await fs.readFile(lab.clusterFile, 'utf8'));
    doc.nodes[1].auth = { method: 'password', password: { file: lab.info.files.passwordFile } };
    await fs.writeFile(lab.clusterFile, stringify(doc));
    // A noisy login script: the password in two writes, so it reaches the kit in two chunks.
    const half = Math.floor(password.length / 2);
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const rc = `printf '%s' ${q(password.slice(0, half))} >&2; sleep 0.2; printf '%s\\n' ${q(password.slice(half))} >&2\n`;
    await feed(1, 'cat > /home/pi/.ssh/rc && chown pi:pi /home/pi/.ssh/rc', rc);
    // The user's own Docker and swarm: a daemon.json on pi-2, a secret and a service.
    await onNode(lab, 1, `mkdir -p /etc/docker && printf '%s' '${userDaemonJson}' > /etc/docker/daemon.json`);
    await both('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io ca-certificates cgroupfs-mount >/dev/null 2>&1; service docker start >/dev/null 2>&1; i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 60 ] && exit 1; sleep 1; done');
    await onNode(lab, 0, `docker swarm init --advertise-addr ${manager} >/dev/null`);
    const token = (await onNode(lab, 0, 'docker swarm join-token -q worker')).trim();
    await onNode(lab, 1, `docker swarm join --token ${token} ${manager}:2377 >/dev/null`);
    await onNode(lab, 0, "printf 'user-value' | docker secret create user-secret - >/dev/null && docker service create -d --no-resolve-image --name user-web --secret user-secret 127.0.0.1:5000/user/web:1 >/dev/null");
  }, 1_200_000);
  /** A command on a node with data on its stdin (test set-up, as root). */
  function feed(i: number, cmd: string, input: string): Promise<void> {
    return new Promise<void>((done, fail) => {
      const p = spawn('docker', ['exec', '-i', lab.info.nodes[i]!.container, 'sh', '-c', cmd]);
      p.on('close', (c) => (c === 0 ? done() : fail(new Error(`${cmd}: exit ${c}`))));
      p.stdin.end(input);
    });
  }

  afterAll(async () => {
    await lab?.stop();
  });

  it('refuses a swarm edgefaas did not create without --adopt, says what --adopt would add, and changes nothing', { timeout: 600_000 }, async () => {
    const before = await both('cat /etc/docker/daemon.json 2>/dev/null; ls /var/lib/edgefaas 2>/dev/null; docker node ls -q 2>/dev/null | wc -l');
    const r = await edgefaas(lab, ['up', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/pi-1: FAILED: pi-1 \(10\.99\.33\.11\) already manages a swarm edgefaas did not create \(cluster \w+: 1 service: user-web; 1 secret: user-secret\)\. Nothing was changed\./);
    expect(r.stdout).toContain('run: edgefaas up --adopt; it adds the OpenFaaS stack "func"');
    expect(r.stdout).toMatch(/pi-2: FAILED: pi-2: nothing changed: the first manager pi-1 refused/);
    expect(await both('cat /etc/docker/daemon.json 2>/dev/null; ls /var/lib/edgefaas 2>/dev/null; docker node ls -q 2>/dev/null | wc -l')).toEqual(before);
    expect(await services()).toEqual(['user-web']);
    expect(await secrets()).toEqual(['user-secret']);
    expect(leaked(r.stdout + r.stderr)).toBe(false);
  });

  it('cut off right after writing daemon.json, a re-run leaves dockerd with the registry; the password shows nowhere, not even split by a login script', { timeout: 900_000 }, async () => {
    // On pi-2, the moment daemon.json names the registry, every SSH session of pi dies: the run
    // loses the node between the write and dockerd's restart.
    // (pkill's pattern is anchored, so it does not match this shell's own command line.)
    const watcher = onNode(lab, 1, `i=0; until grep -q '${registry}' /etc/docker/daemon.json 2>/dev/null; do i=$((i+1)); [ $i -ge 3000000 ] && exit 1; done; pkill -KILL -f '^sshd: pi'; echo cut`).catch((e: Error) => e.message);
    const cut = await edgefaas(lab, ['up', '--yes', '--adopt']);
    expect(await watcher).toBe('cut\n');
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/^pi-2: FAILED: /m);
    expect(await onNode(lab, 1, 'cat /etc/docker/daemon.json')).toContain(registry);
    expect(Object.keys(await insecure(1))).not.toContain(registry);

    // The re-run, with --json and --verbose, while a step on pi-2 fails with the login script's
    // noise in its stderr (its state file cannot be replaced: a directory is in the way).
    await onNode(lab, 1, 'mkdir -p /var/lib/edgefaas/state.json.new');
    const { run, argv } = await sampled(['--json', '--verbose', 'up', '--yes', '--adopt']);
    await onNode(lab, 1, 'rmdir /var/lib/edgefaas/state.json.new');
    expect(run.code).toBe(1);
    expect(Object.keys(await insecure(1))).toContain(registry);
    expect(run.stderr).toMatch(/restart docker to apply \/etc\/docker\/daemon\.json \(log-driver, log-opts not reloaded by SIGHUP\): running containers restart/);
    const body = JSON.parse(run.stdout) as { nodes: Array<{ node: string; error?: string }> };
    const failed = body.nodes.find((n) => n.node === 'pi-2')!;
    expect(failed.error).toMatch(/Is a directory/);
    expect(failed.error).toContain('***');
    expect(argv.length).toBeGreaterThan(6);
    expect(argv.filter(leaked)).toEqual([]);
    expect(leaked(run.stdout + run.stderr + cut.stdout + cut.stderr)).toBe(false);
  });

  it('with --adopt deploys beside the user service and secret, and says what it added', { timeout: 900_000 }, async () => {
    const r = await edgefaas(lab, ['up', '--yes', '--adopt']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/note: adopted the swarm on pi-1 \(--adopt\)|cluster up in/);
    expect(await services()).toEqual(expect.arrayContaining(['user-web', 'func_gateway', 'edgefaas-registry']));
    // The gateway's basic-auth pair and the LAN registry's htpasswd (registry auth is on by default).
    expect(await secrets()).toEqual(['basic-auth-password', 'basic-auth-user', 'edgefaas-registry-htpasswd', 'user-secret']);
    const state = JSON.parse(await onNode(lab, 0, 'cat /var/lib/edgefaas/state.json'));
    expect(state.swarm.how).toBe('adopted');
    expect(JSON.parse(await onNode(lab, 1, 'cat /var/lib/edgefaas/state.json')).files['/etc/docker/daemon.json']).toEqual({ original: userDaemonJson });
    expect(await onNode(lab, 1, 'stat -c %a /var/lib/edgefaas/state.json')).toBe('600\n');
    expect(leaked(r.stdout + r.stderr)).toBe(false);
    const again = await edgefaas(lab, ['up', '--yes', '--adopt']);
    expect(again.stdout).toMatch(/nothing to change: the cluster is already up/);
  });

  it("down removes only what edgefaas made: the user's service, secret and swarm stay; --purge puts daemon.json back", { timeout: 600_000 }, async () => {
    const down = await edgefaas(lab, ['down', '--yes']);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(await services()).toEqual(['user-web']);
    expect(await secrets()).toEqual(['user-secret']);
    expect(await both("docker info --format '{{.Swarm.LocalNodeState}}'")).toEqual(['active\n', 'active\n']);
    expect(await onNode(lab, 0, "docker node ls --format '{{.Hostname}}' | sort")).toBe('pi-1\npi-2\n');
    const purge = await edgefaas(lab, ['down', '--yes', '--purge']);
    expect(purge.code, purge.stdout + purge.stderr).toBe(0);
    expect(await onNode(lab, 1, 'cat /etc/docker/daemon.json')).toBe(userDaemonJson);
    expect(await onNode(lab, 0, 'cat /etc/docker/daemon.json 2>/dev/null || echo none')).toBe('none\n');
    expect(await both('ls /var/lib/edgefaas/state.json 2>/dev/null || echo none')).toEqual(['none\n', 'none\n']);
    expect(await services()).toEqual(['user-web']);
  });

  it('tells a locked manager to unlock, never to leave', { timeout: 600_000 }, async () => {
    await onNode(lab, 0, 'docker swarm update --autolock=true >/dev/null && service docker restart >/dev/null 2>&1; i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 60 ] && exit 1; sleep 1; done');
    expect(await onNode(lab, 0, "docker info --format '{{.Swarm.LocalNodeState}}'")).toBe('locked\n');
    for (const verb of [['up', '--yes', '--adopt'], ['down', '--yes']]) {
      const r = await edgefaas(lab, verb);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('pi-1 (10.99.33.11) is a manager of a locked swarm (autolock is on and dockerd restarted): unlock it with: sudo docker swarm unlock');
      expect(r.stdout).not.toMatch(/leave --force/);
    }
    expect(await onNode(lab, 0, "docker info --format '{{.Swarm.LocalNodeState}}'")).toBe('locked\n');
  });
});

