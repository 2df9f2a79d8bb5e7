import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type TestLab } from '../support/lab.ts';
import { runCli, tempDir, type CliRun } from './support.ts';

const run = promisify(execFile);

/**
 * Every file's path, size, mtime and mode on a node, and every directory's path and mode: equal
 * before and after = nothing changed. Left out: volatile trees, and ~/.sudo_as_admin_successful,
 * which Debian's sudo itself drops on its first use (the read-only probe runs under sudo).
 */
const FINGERPRINT = [
  'find / -xdev',
  '\\( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/log -o -name .sudo_as_admin_successful \\) -prune',
  '-o -type d -printf "%p/ %m\\n"',
  '-o -printf "%p %s %T@ %m\\n"',
  '2>/dev/null | sort | md5sum',
].join(' ');

/**
 * `edgefaas up --dry-run` against three real lab hosts (sshd, user pi with sudo, no Docker): it
 * probes them read-only over SSH, prints every command up would run on every node, and changes nothing.
 */
describe('edgefaas up --dry-run on a three-node cluster', { timeout: 180_000 }, () => {
  let lab: TestLab;
  let cwd: string;
  let before: string[];
  let plain: CliRun;
  let json: CliRun;
  const inNode = async (i: number, cmd: string) => (await run('docker', ['exec', lab.info.nodes[i]!.container, 'sh', '-c', cmd])).stdout;
  const fingerprints = () => Promise.all([0, 1, 2].map((i) => inNode(i, FINGERPRINT)));

  beforeAll(async () => {
    lab = await startLab({ name: 'clitest', subnet: '10.99.3.0/24', nodes: 3 });
    cwd = await tempDir('updry');
    before = await fingerprints();
    const env = { EDGEFAAS_HOME: lab.home };
    plain = await runCli(['--config', lab.clusterFile, 'up', '--dry-run'], { cwd, env });
    json = await runCli(['--config', lab.clusterFile, '--json', 'up', '--dry-run'], { cwd, env });
  });

  afterAll(async () => {
    await lab?.stop();
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('prints the commands for every node, with sudo shown and secrets only as <secret on stdin>', () => {
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    const lines = plain.stdout.split('\n');
    for (const node of ['pi-1', 'pi-2', 'pi-3']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[${node}\\] \\$ sudo .*apt-get install .*docker\\.io`)));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[${node}\\] \\$ sudo .*/etc/docker/daemon\\.json`)));
    }
    expect(lines).toContain('[pi-1] $ sudo docker swarm init --advertise-addr 10.99.3.11');
    for (const worker of ['pi-2', 'pi-3']) {
      // The join token is the one secret a worker gets: on stdin, never printed.
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[${worker}\\] \\$ sudo .*join.* <secret on stdin>$`)));
    }
    expect(lines).toContain('[pi-1] $ sudo docker secret create --label edgefaas.owned=true basic-auth-password - <secret on stdin>');
    expect(lines).toContainEqual(expect.stringMatching(/^\[pi-1\] \$ sudo sh -c 'cd \/var\/lib\/edgefaas\/stack && docker stack deploy/));
    expect(lines.filter(Boolean).at(-1)).toBe('dry run: nothing was changed (the commands above are what up would run)');
    // Nothing is stored under --dry-run, and up says what it would do instead.
    expect(lines).toContain(`a gateway password would be generated and stored in ${join(lab.home, 'clitest', 'gateway-password')} (0600)`);
    expect(plain.stdout).not.toMatch(/gateway password generated/);
    const sudoPassword = readFileSync(lab.info.files.passwordFile, 'utf8').trim();
    expect(plain.stdout + json.stdout + json.stderr).not.toContain(sudoPassword);
  });

  it('under --json gives the result on stdout and the commands on stderr', () => {
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ ok: true, dryRun: true });
    expect(result.nodes.map((n: { node: string }) => n.node)).toEqual(['pi-1', 'pi-2', 'pi-3']);
    expect(json.stderr).toContain('[pi-1] $ sudo docker swarm init --advertise-addr 10.99.3.11');
  });

  it('changes nothing on any node (read-only probing only) and nothing here', async () => {
    expect(await fingerprints()).toEqual(before);
    for (const i of [0, 1, 2]) {
      expect(await inNode(i, 'command -v dockerd docker || echo none')).toBe('none\n');
      expect(await inNode(i, 'test -e /etc/docker && echo present || echo absent')).toBe('absent\n');
    }
    // No gateway password was generated and stored on this machine either.
    expect((await readdir(lab.home)).sort()).toEqual(['cluster.yaml', 'labs']);
    expect(existsSync(join(cwd, 'cluster.yaml'))).toBe(false);
  });

  it('the fingerprint sees a change when there is one (so the check above can fail)', async () => {
    await inNode(2, 'mkdir -p /etc/docker && rmdir /etc/docker && touch /etc/edgefaas-probe-check');
    expect((await fingerprints())[2]).not.toEqual(before[2]);
  });
});
