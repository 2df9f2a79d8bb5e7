import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, type CliRun } from './support.ts';

/** The real CLI as a child process: exit codes 0/1/2, one-line messages naming the field, no stack traces. */

const GOOD = `name: lab
nodes:
  - name: pi-1
    address: 127.0.0.1
    port: 1
    role: manager
  - name: pi-2
    address: 127.0.0.2
    port: 1
`;

const node = (n: number, extra = '') => `name=pi-${n},address=127.0.0.${n},port=1,auth=agent${extra}`;

function noStack(r: CliRun): void {
  expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(r.stderr).not.toContain('ZodError');
}

// Each case starts the CLI (tsx compiles on load): allow for a busy shared machine.
describe('edgefaas command line', { timeout: 180_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('cli');
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    await fs.writeFile(join(dir, name), text);
    return name;
  }

  it('answers --help with examples and exit 0 for the root and init', async () => {
    const root = await runCli(['--help'], { cwd: dir });
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/--config <path>[\s\S]*--yes[\s\S]*--dry-run[\s\S]*--json[\s\S]*--verbose/);
    expect(root.stdout).toContain('Exit codes: 0 done, 1 failed, 2 bad usage or config.');
    const init = await runCli(['init', '--help'], { cwd: dir });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Examples:');
    expect(init.stdout).toContain('--node <spec>');
  });

  it('exits 2 on an unknown option or command', async () => {
    const opt = await runCli(['--frobnicate'], { cwd: dir });
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain("unknown option '--frobnicate'");
    const asJson = await runCli(['--json', '--frobnicate'], { cwd: dir });
    expect(asJson.code).toBe(2);
    expect(JSON.parse(asJson.stdout)).toEqual({ ok: false, exitCode: 2, error: "unknown option '--frobnicate'" });
    const cmd = await runCli(['frobnicate'], { cwd: dir });
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 naming --node when --yes has no nodes to write', async () => {
    const r = await runCli(['init', '--yes'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no nodes: pass --node name=pi-1,address=');
    noStack(r);
  });

  it('refuses to ask questions without a terminal and says to use --yes', async () => {
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no terminal to ask questions in: pass --yes');
  });

  it('exits 2 on an unknown orchestrator, naming the flag and the choices', async () => {
    const r = await runCli(['init', '--yes', '--node', node(1), '--orchestrator', 'nomad'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--orchestrator <kind>' argument 'nomad' is invalid. Allowed choices are swarm, k3s/);
  });

  it('exits 2 on an empty address, naming the field, and writes nothing', async () => {
    const r = await runCli(['init', '--yes', '--output', 'empty.yaml', '--node', 'name=pi-1,address=,auth=agent'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('edgefaas: empty.yaml: nodes[0].address: expected a host name or IP, got ""');
    noStack(r);
    await expect(fs.access(join(dir, 'empty.yaml'))).rejects.toThrow();
  });

  it('exits 2 on a duplicate node, naming both', async () => {
    const r = await runCli(['init', '--yes', '--output', 'dup.yaml', '--node', node(1), '--node', 'name=pi-1,address=127.0.0.9,port=1'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--node #2: duplicate node: name "pi-1" is already --node #1');
    await expect(fs.access(join(dir, 'dup.yaml'))).rejects.toThrow();
  });

  it('never takes a password on the command line', async () => {
    const r = await runCli(['init', '--yes', '--node', 'name=pi-1,address=127.0.0.1,auth=password,password=hunter2'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('passwords never go on the command line; use password-env=VAR or password-file=PATH');
  });

  it('refuses a password file others can read', async () => {
    await fs.writeFile(join(dir, 'pw'), 'x', { mode: 0o644 });
    await fs.chmod(join(dir, 'pw'), 0o644);
    const r = await runCli(['init', '--yes', '--output', 'pw.yaml', '--node', `name=pi-1,address=127.0.0.1,port=1,password-file=${join(dir, 'pw')}`], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--node pi-1: password-file: secret file ${join(dir, 'pw')} is readable by others (mode 644); run: chmod 600 ${join(dir, 'pw')}`);
    await expect(fs.access(join(dir, 'pw.yaml'))).rejects.toThrow();
  });

  it('leaves an existing cluster.yaml untouched when the new answers are bad', async () => {
    await file('keep.yaml', GOOD);
    const r = await runCli(['init', '--yes', '--output', 'keep.yaml', '--node', node(1), '--replicas', '3', '--max-replicas', '2'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-replicas (2) is below --replicas (3)');
    expect(await fs.readFile(join(dir, 'keep.yaml'), 'utf8')).toBe(GOOD);
  });

  describe('bad cluster.yaml files: exit 2, the field and its line, no stack trace', () => {
    const cases: Array<[string, string, string]> = [
      ['a YAML syntax error', 'nodes:\n  - name: pi-1\n    address: [127.0.0.1\n', 'syntax.yaml:4:1: yaml syntax: '],
      ['a field of the wrong type', GOOD.replace('port: 1\n    role', 'port: twenty-two\n    role'), 'type.yaml:5:11: nodes[0].port: expected a number, got "twenty-two"'],
      ['an unknown orchestrator', `orchestrator: nomad\n${GOOD}`, 'orch.yaml:1:15: orchestrator: expected one of swarm, k3s, got "nomad"'],
      ['an empty address', GOOD.replace('address: 127.0.0.2', 'address: ""'), 'addr.yaml:8:14: nodes[1].address: expected a host name or IP, got ""'],
      ['a duplicate node', GOOD.replace('name: pi-2', 'name: pi-1'), 'dupe.yaml:7:11: nodes[1].name: duplicate node: name "pi-1" is already nodes[0]'],
      ['an unknown field', GOOD.replace('  - name: pi-2', '  - name: pi-2\n    colour: red'), 'field.yaml:8:13: nodes[1].colour: unknown field colour'],
    ];
    for (const [what, text, message] of cases) {
      it(what, async () => {
        const name = await file(message.split(':')[0]!, text);
        const r = await runCli(['--config', name, 'init', '--check'], { cwd: dir });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`edgefaas: ${message}`);
        noStack(r);
        expect(await fs.readFile(join(dir, name), 'utf8')).toBe(text);
      });
    }

    it('a good file passes the check with exit 0', async () => {
      const name = await file('good.yaml', GOOD);
      const r = await runCli(['--config', name, 'init', '--check'], { cwd: dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('good.yaml: ok (2 nodes, swarm)');
    });

    it('a missing file says what to run', async () => {
      const r = await runCli(['--config', 'absent.yaml', 'init', '--check'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('absent.yaml not found; run: edgefaas init');
    });
  });

  it('exits 1 on a failure that is not the user input, with the stack only under --verbose', async () => {
    await file('not-a-dir', 'x');
    const args = ['init', '--yes', '--output', 'not-a-dir/cluster.yaml', '--node', node(1)];
    const plain = await runCli(args, { cwd: dir });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^edgefaas: .*not-a-dir/m);
    noStack(plain);
    const verbose = await runCli(['--verbose', ...args], { cwd: dir });
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^\s+at .+/m);
    const debug = await runCli(args, { cwd: dir, env: { EDGEFAAS_DEBUG: '1' } });
    expect(debug.stderr).toMatch(/^\s+at .+/m);
  });

  it('--json puts one JSON result on stdout and the human text on stderr', async () => {
    const r = await runCli(['init', '--yes', '--json', '--output', 'json.yaml', '--node', node(1), '--node', node(2)], { cwd: dir });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ ok: true, path: 'json.yaml', status: 'created' });
    expect(result.cluster.nodes.map((n: { name: string }) => n.name)).toEqual(['pi-1', 'pi-2']);
    expect(r.stderr).toContain('Plan (nothing on any node has changed yet)');
    const bad = await runCli(['init', '--yes', '--json', '--node', 'name=x,address='], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, exitCode: 2, error: expect.stringContaining('nodes[0].address') });
  });

  it('--dry-run prints the file it would write and writes nothing', async () => {
    const r = await runCli(['init', '--yes', '--dry-run', '--output', 'dry.yaml', '--node', node(1)], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# dry run: would write dry.yaml');
    expect(r.stdout).toMatch(/nodes:\n  - name: pi-1\n    address: 127\.0\.0\.1/);
    await expect(fs.access(join(dir, 'dry.yaml'))).rejects.toThrow();
  });

  it('is safe to re-run: the same flags leave the file unchanged, new ones keep a backup', async () => {
    const args = ['init', '--yes', '--output', 'again.yaml', '--node', node(1)];
    expect((await runCli(args, { cwd: dir })).code).toBe(0);
    const first = await fs.readFile(join(dir, 'again.yaml'), 'utf8');
    const second = await runCli(args, { cwd: dir });
    expect(second.stdout).toContain('unchanged again.yaml');
    const third = await runCli([...args, '--gateway-port', '9090'], { cwd: dir });
    expect(third.stdout).toContain('wrote again.yaml (previous kept as again.yaml.bak)');
    expect(await fs.readFile(join(dir, 'again.yaml.bak'), 'utf8')).toBe(first);
    const dirEntries = await fs.readdir(dir);
    expect(dirEntries.filter((e) => e.endsWith('.tmp'))).toEqual([]);
  });

  it('writes no colour codes when output is not a terminal or NO_COLOR is set', async () => {
    const r = await runCli(['init', '--yes', '--dry-run', '--node', node(1)], { cwd: dir, env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(r.stdout + r.stderr).not.toContain('\x1b[');
  });
});

describe('every registered command', { timeout: 300_000 }, () => {
  it('answers --help with examples and exit 0', async () => {
    const dir = await tempDir('help');
    const root = await runCli(['--help'], { cwd: dir });
    const listed = root.stdout.split('Commands:')[1] ?? '';
    const names = [...listed.matchAll(/^  ([a-z][-a-z]*)\b/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
    expect(names).toContain('init');
    for (const name of names) {
      const r = await runCli([name, '--help'], { cwd: dir });
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(/Examples?:/i);
    }
    await fs.rm(dir, { recursive: true });
  });
});
