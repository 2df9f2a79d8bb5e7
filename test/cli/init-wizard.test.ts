import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BIN, closedPort, listen, runCli, tempDir } from './support.ts';
import { TmuxTerminal } from './tmux.ts';

/**
 * The real wizard in a real terminal (tmux), answered like a user would, against nodes that
 * answer on their SSH port (local listeners), one that does not, and a ~/.ssh/config alias.
 */
const UBUNTU = 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10';

describe('edgefaas init wizard', () => {
  let home: string;
  let servers: Server[] = [];
  let p1: number;
  let p2: number;
  let p3: number;
  let term: TmuxTerminal | undefined;

  beforeAll(async () => {
    home = await tempDir('wizard');
    const a = await listen(UBUNTU);
    const b = await listen();
    servers = [a.server, b.server];
    p1 = a.port;
    p2 = b.port;
    p3 = await closedPort();
    await fs.mkdir(join(home, '.ssh'), { mode: 0o700 });
    await fs.writeFile(join(home, '.ssh', 'id_ed25519'), 'not a real key\n', { mode: 0o600 });
    await fs.writeFile(join(home, '.ssh', 'id_pi'), 'not a real key\n', { mode: 0o600 });
    await fs.writeFile(
      join(home, '.ssh', 'config'),
      `Host pi-alias\n  HostName 127.0.0.1\n  Port ${p2}\n  User alice\n  IdentityFile ~/.ssh/id_pi\n\nHost *\n  ServerAliveInterval 30\n`,
    );
  });

  afterAll(async () => {
    term?.kill();
    for (const s of servers) s.close();
    await fs.rm(home, { recursive: true, force: true });
  });

  function start(name: string): TmuxTerminal {
    term?.kill();
    term = TmuxTerminal.start(name, `node ${BIN} init`, { cwd: home, env: { HOME: home, PATH: process.env.PATH ?? '', TERM: 'xterm-256color' } });
    return term;
  }

  it('writes the same cluster.yaml from three nodes of answers as the same answers given as flags with --yes', { timeout: 300_000 }, async () => {
    const t = start('wizard3');
    /** Answers the open question once it matches: keys (e.g. Down) first, then text and Enter. */
    const answer = async (question: RegExp, text: string, ...keys: string[]) => {
      await t.waitForPrompt(question);
      if (keys.length) t.keys(...keys);
      t.type(text);
    };
    await answer(/Cluster name/, 'lab');

    // Node 1: an address that answers.
    await answer(/Node 1: address/, `127.0.0.1:${p1}`);
    await answer(/Node name \(node-1\)/, 'pi-1');
    expect(t.screen()).toContain(`127.0.0.1:${p1} answers (${UBUNTU})`);
    await answer(/SSH user \(ubuntu\)/, ''); // the usual user of the OS its SSH banner names
    await answer(/Authentication/, ''); // key file is the default without an agent
    await answer(/Private key file \(~\/\.ssh\/id_ed25519\)/, '');
    await answer(/Add another node\? \(y\/N\)/, 'y');

    // Node 2: bad answers first, said at once; then an ~/.ssh/config alias whose defaults are used.
    await answer(/Node 2: address/, '');
    await t.waitFor(/expected a host name or IP, got ""/);
    t.type(`127.0.0.1:${p1}`);
    await t.waitFor(/duplicate node: 127\.0\.0\.1:\d+ is already pi-1/);
    t.keys('-N', '40', 'BSpace');
    t.type('pi-alias');
    await answer(/Node name \(pi-alias\)/, 'pi-2');
    expect(t.screen()).toMatch(new RegExp(`127\\.0\\.0\\.1:${p2} answers`));
    await answer(/SSH user \(alice\)/, '');
    await answer(/Authentication/, '');
    await answer(/Private key file \(~\/\.ssh\/id_pi\)/, '');
    await answer(/Add another node\?/, 'y');

    // Node 3: does not answer; refused once (asked again), then kept; password typed (masked).
    await answer(/Node 3: address/, `127.0.0.1:${p3}`);
    await answer(new RegExp(`127\\.0\\.0\\.1 does not answer on port ${p3}\\. Keep it anyway\\? \\(y/N\\)`), 'n');
    await answer(/Node 3: address/, `127.0.0.1:${p3}`);
    await answer(/Keep it anyway\?/, 'y');
    await answer(/Node name \(node-3\)/, 'pi-3');
    await answer(/SSH user \(pi\)/, '');
    await answer(/Authentication/, '', 'Down'); // agent, [key], password
    await answer(/Password from/, '');
    await answer(/Password for pi-3/, 's3cret-pw');
    await answer(/Add another node\?/, '');

    await answer(/Which node is the manager\?/, '', 'Down');
    await answer(/Orchestrator/, '', 'Down');
    await answer(/Image registry/, '', 'Down');
    await answer(/Registry address/, '127.0.0.1:5999');
    await answer(/CA certificate of its TLS/, '');
    await answer(/Registry credentials/, '', 'Down'); // docker login's, [type them now]
    await answer(/Registry user/, 'ci');
    await answer(/Password for ci at 127\.0\.0\.1:5999/, 'reg-s3cret');
    await answer(/Functions/, '', 'Down', 'Down');
    await answer(/at least \(com\.openfaas\.scale\.min\)/, '2');
    await answer(/at most \(com\.openfaas\.scale\.max\)/, '4');
    await answer(/Gateway port/, '8081');
    await answer(/Gateway basic auth/, '');
    await t.waitForPrompt(/Bring the cluster up now/);
    const screen = await t.waitFor(/Bring the cluster up now/);
    expect(screen).toContain('wrote cluster.yaml');
    expect(screen).toMatch(/pi-2\s+manager\s+alice@pi-alias\s+\[key\]: container runtime, k3s server/);
    t.type('');
    const end = await t.waitFor(/\[exit \d+\]/);
    expect(end).toContain('[exit 0]');
    expect(end).not.toContain('s3cret-pw');
    expect(end).not.toContain('reg-s3cret');

    const fromWizard = await fs.readFile(join(home, 'cluster.yaml'), 'utf8');
    expect(fromWizard).not.toContain('s3cret-pw');
    const secretPath = join(home, '.edgefaas', 'lab', 'secrets', 'pi-3-password');
    expect(await fs.readFile(secretPath, 'utf8')).toBe('s3cret-pw');
    expect((await fs.stat(secretPath)).mode & 0o777).toBe(0o600);
    // The registry password, given once, kept 0600 and referenced by file from cluster.yaml.
    expect(fromWizard).not.toContain('reg-s3cret');
    const regSecret = join(home, '.edgefaas', 'lab', 'secrets', 'registry-password');
    expect(await fs.readFile(regSecret, 'utf8')).toBe('reg-s3cret');
    expect((await fs.stat(regSecret)).mode & 0o777).toBe(0o600);
    expect(parse(fromWizard).registry).toMatchObject({ mode: 'external', address: '127.0.0.1:5999', username: 'ci', password: { file: expect.stringMatching(/\/lab\/secrets\/registry-password$/) } });

    const flags = await runCli(
      [
        'init', '--yes', '--output', 'flags.yaml', '--name', 'lab',
        '--node', `name=pi-1,address=127.0.0.1,port=${p1},user=ubuntu,auth=key,key=~/.ssh/id_ed25519`,
        '--node', 'name=pi-2,address=pi-alias,user=alice,auth=key,key=~/.ssh/id_pi',
        '--node', `name=pi-3,address=127.0.0.1,port=${p3},user=pi,auth=password,password-file=~/.edgefaas/lab/secrets/pi-3-password`,
        '--manager', 'pi-2', '--orchestrator', 'k3s', '--registry', 'external=127.0.0.1:5999,user=ci,password-file=~/.edgefaas/lab/secrets/registry-password',
        '--functions', 'catdog', '--replicas', '2', '--max-replicas', '4', '--gateway-port', '8081',
      ],
      { cwd: home },
    );
    expect(flags.stderr).toContain(`pi-3 (127.0.0.1) does not answer on port ${p3}`);
    expect(flags.code).toBe(0);
    expect(await fs.readFile(join(home, 'flags.yaml'), 'utf8')).toBe(fromWizard);

    const spec = parse(fromWizard);
    expect(spec.nodes.map((n: { name: string; role: string }) => `${n.name}:${n.role}`)).toEqual(['pi-1:worker', 'pi-2:manager', 'pi-3:worker']);
    expect(spec.nodes[2].auth).toEqual({ method: 'password', password: { file: '~/.edgefaas/lab/secrets/pi-3-password' } });
  });

  it('offers the existing cluster.yaml as the defaults, so Enter all the way leaves it unchanged', { timeout: 300_000 }, async () => {
    const before = await fs.readFile(join(home, 'cluster.yaml'), 'utf8');
    const t = start('rerun');
    const defaults = [
      /Cluster name \(lab\)/,
      /Node 1: address[^\n]*\(127/,
      /Node name \(pi-1\)/,
      /SSH user \(ubuntu\)/,
      /Authentication/,
      /Private key file/,
      /Add another node\? \(Y\/n\)/,
    ];
    let at = -1;
    for (const question of defaults) {
      at = await t.waitForPrompt(question, at);
      t.type('');
    }
    // Every later question has its default from the file too: Enter to each until init ends.
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
      const screen = t.screen();
      if (/\[exit \d+\]/.test(screen)) break;
      const open = t.openPrompt();
      if (open.index > at) {
        at = open.index;
        t.type('');
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    const end = await t.waitFor(/\[exit \d+\]/);
    expect(end).toContain('[exit 0]');
    expect(end).toContain('unchanged cluster.yaml');
    expect(await fs.readFile(join(home, 'cluster.yaml'), 'utf8')).toBe(before);
  });

  it('respects NO_COLOR in a terminal, and Ctrl-C at a question exits 1 having written nothing', { timeout: 180_000 }, async () => {
    const dir = await tempDir('cancel');
    term?.kill();
    const env = { HOME: dir, PATH: process.env.PATH ?? '', TERM: 'xterm-256color' };
    const colour = TmuxTerminal.start('colour', `node ${BIN} init`, { cwd: dir, env });
    await colour.waitForPrompt(/Cluster name/);
    expect(colour.screen(true)).toMatch(/\x1b\[\d+m/);
    colour.kill();
    const t = (term = TmuxTerminal.start('nocolour', `node ${BIN} init`, { cwd: dir, env: { ...env, NO_COLOR: '1' } }));
    await t.waitForPrompt(/Cluster name/);
    expect(t.screen(true)).not.toMatch(/\x1b\[[\d;]*m/);
    t.keys('C-c');
    const end = await t.waitFor(/\[exit \d+\]/);
    expect(end).toContain('edgefaas: cancelled; nothing was changed');
    expect(end).toContain('[exit 1]');
    expect(await fs.readdir(dir)).toEqual([]);
    await fs.rm(dir, { recursive: true });
  });
});
