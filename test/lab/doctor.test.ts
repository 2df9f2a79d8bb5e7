import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCluster } from '../../kit/inventory/load.ts';
import type { NodeReport } from '../../kit/nodes/index.ts';
import { SshPool, poolOptionsFromCluster } from '../../kit/ssh/index.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

const run = promisify(execFile);

describe('edgefaas doctor on the lab', () => {
  let lab: TestLab;
  let password: string;
  const inNode = (i: number, cmd: string) => onNode(lab, i, cmd);
  const cli = async (args: string[], clusterFile = lab.clusterFile) =>
    run('node', ['bin/edgefaas.js', '--config', clusterFile, ...args], { env: lab.env, maxBuffer: 8 << 20 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    lab = await startLab({ name: 'labtest', subnet: '10.99.1.0/24', nodes: 3 });
    password = (await readFile(lab.info.files.passwordFile, 'utf8')).trim();
    // pi-2 gets Docker and a one-node swarm the way the kit works: over SSH, with sudo.
    const spec = await loadCluster(lab.clusterFile);
    const pool = new SshPool(poolOptionsFromCluster(spec, { env: lab.env }));
    try {
      const r = await pool.runner(spec.nodes[1]!);
      const res = await r.exec(
        'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq docker.io >/dev/null && service docker start && ' +
          'for i in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done; docker swarm init --advertise-addr 10.99.1.12 >/dev/null',
        { sudo: true, timeoutMs: 600_000 },
      );
      if (res.code !== 0) throw new Error(`docker install on pi-2 failed: ${res.stderr}`);
    } finally {
      await pool.closeAll();
    }
    // Something already listens on the gateway's port on pi-3.
    await inNode(2, '/usr/sbin/sshd -p 8080');
  }, 900_000);
  afterAll(async () => {
    await lab?.stop();
  });

  it('reports every node as JSON, each fact matching what the node says by other means', async () => {
    const out = await cli(['--json', 'doctor']);
    const body = JSON.parse(out.stdout) as { ok: boolean; nodes: NodeReport[] };
    expect(body.nodes.map((n) => n.node)).toEqual(['pi-1', 'pi-2', 'pi-3']);
    for (const [i, report] of body.nodes.entries()) {
      const f = report.facts!;
      expect(f.hostname).toBe(`pi-${i + 1}`);
      expect(f.kernel.arch).toBe((await inNode(i, 'uname -m')).trim());
      expect(f.kernel.release).toBe((await inNode(i, 'uname -r')).trim());
      expect(f.userlandArch).toBe((await inNode(i, 'dpkg --print-architecture')).trim());
      expect(f.platform).toBe('linux/amd64');
      expect(f.os.versionId).toBe((await inNode(i, '. /etc/os-release; echo $VERSION_ID')).trim());
      expect(f.memory.totalMB).toBe(Math.round(Number((await inNode(i, "awk '/^MemTotal/{print $2}' /proc/meminfo")).trim()) / 1024));
      expect(f.pageSize).toBe(Number((await inNode(i, 'getconf PAGESIZE')).trim()));
      expect((await inNode(i, 'ldd --version | head -1')).trim()).toMatch(new RegExp(`${f.glibc!.replace('.', '\\.')}$`));
      expect(f.cgroup.memoryController).toBe(true);
      expect(f.ipvs).toBe(false);
      expect(Math.abs(f.clockSkewMs)).toBeLessThan(1000);
    }
    const [pi1, pi2, pi3] = body.nodes as [NodeReport, NodeReport, NodeReport];
    expect(pi1.facts!.docker).toEqual({ installed: false, version: null, running: false });
    expect(pi1.facts!.swarm).toBeNull();
    expect(pi2.facts!.docker.version).toBe((await inNode(1, "docker version --format '{{.Client.Version}}'")).trim());
    expect(pi2.facts!.docker.running).toBe(true);
    expect(pi2.facts!.swarm).toEqual({
      state: 'active',
      nodeId: (await inNode(1, "docker info --format '{{.Swarm.NodeID}}'")).trim(),
      clusterId: (await inNode(1, "docker info --format '{{.Swarm.Cluster.ID}}'")).trim(),
      manager: true,
    });
    // A swarm manager listens on 2377/7946/4789 itself: not a conflict.
    expect(pi2.checks.find((c) => c.id === 'ports')!.status).toBe('ok');
    expect(pi3.facts!.portsInUse).toEqual([{ port: 8080, proto: 'tcp' }]);
    expect(pi3.ok).toBe(false);
    expect(pi3.checks.find((c) => c.id === 'ports')).toMatchObject({ status: 'fail', detail: 'in use: 8080/tcp' });
    expect(body.ok).toBe(false);
    expect(out.code).toBe(1);
  });

  it('prints a table with a row per node and a fix for each failed check', async () => {
    const out = await cli(['doctor']);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toMatch(/^NODE\s+HOSTNAME\s+OS\s+ARCH\s+PLATFORM\s+RAM/);
    expect(lines[1]).toMatch(/^pi-1\s+pi-1\s+debian 12\s+x86_64\/amd64\s+linux\/amd64/);
    expect(lines[2]).toMatch(/^pi-2\s+pi-2\s.*\s20\.10\.\S+\s+active\s/);
    expect(out.stdout).toContain('pi-3 FAIL ports: in use: 8080/tcp\n    fix: see what holds them');
    expect(out.stdout).toContain('pi-1 warn ipvs: missing');
    expect(out.stdout).toMatch(/1 of 3 nodes need attention\n$/);
  });

  it('names an unreachable node and still reports the others; the sudo password shows nowhere', async () => {
    const spec = parse(await readFile(lab.clusterFile, 'utf8'));
    spec.nodes.push({ ...spec.nodes[2], name: 'ghost', address: lab.unreachable, role: 'worker' });
    spec.ssh.timeoutSeconds = 5;
    const file = join(lab.home, 'with-ghost.yaml');
    await writeFile(file, stringify(spec));
    const out = await cli(['--json', '--verbose', 'doctor'], file);
    const body = JSON.parse(out.stdout) as { nodes: NodeReport[] };
    expect(body.nodes.filter((n) => n.facts).map((n) => n.node)).toEqual(['pi-1', 'pi-2', 'pi-3']);
    const ghost = body.nodes.find((n) => n.node === 'ghost')!;
    expect(ghost.error).toMatch(/^ghost: cannot reach pi@10\.99\.1\.250:22/);
    // --verbose logs every command, including the sudo one on pi-2; the password is in none of it.
    expect(out.stderr).toContain('pi-2$ sudo docker info');
    expect(out.stdout + out.stderr).not.toContain(password);
  });

  it('refuses a reinstalled node until the user accepts its new key by name', async () => {
    const oldFp = (await inNode(0, 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).split(' ')[1]!;
    await inNode(0, 'rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && kill -HUP $(pgrep -o -x sshd)');
    const newFp = (await inNode(0, 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).split(' ')[1]!;
    await new Promise((r) => setTimeout(r, 300));
    const refused = await cli(['doctor']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('pi-1: host key of pi-1 (10.99.1.11) changed: refusing to connect');
    expect(refused.stdout).toContain(oldFp);
    expect(refused.stdout).toContain(newFp);
    expect(refused.stdout).toMatch(/^pi-2\s+pi-2\s/m);
    const noNode = await cli(['doctor', '--accept-new-host-key']);
    expect(noNode.code).toBe(2);
    expect(noNode.stderr).toContain('--accept-new-host-key needs --node <name>');
    const accepted = await cli(['doctor', '--node', 'pi-1', '--accept-new-host-key']);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain(`pi-1: host key replaced (${oldFp} -> ${newFp})`); // the ed25519 key, as ssh shows
    expect((await cli(['doctor', '--node', 'pi-1'])).code).toBe(0);
  });

  it('leaves nothing behind on lab down, even after Docker and a swarm ran on a node', async () => {
    const bridges = async () => (await run('ip', ['-o', 'link', 'show'])).stdout.split('\n').filter((l) => /^\d+: eflab-labtest:/.test(l));
    expect(await bridges()).toHaveLength(1);
    await lab.stop();
    expect(await bridges()).toEqual([]);
    const left = await run('sh', ['-c', 'docker ps -aq --filter label=edgefaas.lab=labtest; docker volume ls -q --filter label=edgefaas.lab=labtest; docker network ls -q --filter label=edgefaas.lab=labtest;']);
    expect(left.stdout).toBe('');
    expect((await run('sh', ['-c', 'iptables-save | grep -c "10\\.99\\.1\\." || true'])).stdout).toBe('0\n');
  });
});
