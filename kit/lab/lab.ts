import { promises as fs } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { DEFAULT_CLUSTER_FILE } from '../inventory/load.ts';
import { edgefaasHome } from '../ssh/paths.ts';
import { docker, lines } from './docker-cli.ts';
import { clusterYaml, ensureSecrets, exists, isLabClusterFile, labFiles, sshConfigSnippet, writeIfChanged, type LabFiles } from './files.ts';
import { labOpenfaasSection } from './gateway/overrides.ts';
import { ensureNodeImage } from './image.ts';
import { ensureExistingRegistry, hasExistingRegistry, type ExistingRegistry } from './registry/existing.ts';
import { HOSTS_FILE, editHostsFile, hostsBlock, labHostName, setHostsInContainer } from './hosts.ts';
import { LAB_SUITES, type LabSuite } from './suite-base.ts';
import { LAB_LABEL, LabError, checkLabName, labLayout, type LabLayout } from './names.ts';

export interface LabUpOptions {
  name?: string;
  subnet?: string;
  nodes?: number;
  /** Pi-sized hosts: each host's CPU share (Docker's --cpus, e.g. 0.5) and memory (e.g. "1g", no swap beyond it). */
  cpus?: number;
  memory?: string;
  /**
   * `manager` (default): cluster.yaml asks up for the LAN registry. `external`: the lab also runs a
   * registry host of its own (HTTPS from a private CA, basic auth) and cluster.yaml points at it.
   */
  registry?: 'manager' | 'external';
  /** Hosts on another Debian than bookworm, by node name (pi-2: trixie, with docker.io 26). */
  os?: Record<string, LabSuite>;
  /**
   * A raised Docker API floor, by node name, as Docker 29 has (1.44): dockerd runs with
   * DOCKER_MIN_API_VERSION once the kit installs it. Needs Docker 25 or newer: a trixie host.
   */
  dockerMinApi?: Record<string, string>;
  clusterFile?: string;
  /**
   * Raspberry Pi OS hosts: /boot/firmware/cmdline.txt as bookworm ships it, the memory cgroup off
   * until that line asks for it, and `reboot` that restarts the host with its disk kept.
   */
  pi?: boolean;
  /** Default $EDGEFAAS_HOME or ~/.edgefaas. */
  home?: string;
  log?: (line: string) => void;
}

export interface LabInfo {
  name: string;
  subnet: string;
  clusterFile: string;
  files: LabFiles;
  nodes: Array<{ name: string; address: string; container: string; hostName: string }>;
  /** The lab's existing registry, when it runs one. */
  registry?: ExistingRegistry;
  /** False when `lab up` found everything already in place. */
  changed: boolean;
}

export const LAB_DEFAULTS = { name: 'edgefaas', subnet: '10.99.0.0/24', nodes: 3 } as const;

export function requireRoot(verb: string): void {
  if (process.getuid && process.getuid() !== 0) {
    throw new LabError(`lab ${verb} needs root (it creates containers, a bridge and volumes on this machine's dockerd); run: sudo edgefaas lab ${verb}`);
  }
}

/** Docker's per-container limits, so each lab host has its own slice of CPU and memory as each Pi has. */
function limitArgs(opts: Pick<LabUpOptions, 'cpus' | 'memory'>): string[] {
  const args: string[] = [];
  if (opts.cpus !== undefined) args.push('--cpus', String(opts.cpus));
  if (opts.memory !== undefined) args.push('--memory', opts.memory, '--memory-swap', opts.memory);
  return args;
}

function runArgs(layout: LabLayout, node: LabLayout['nodes'][number], image: string, limits: string[]): string[] {
  return [
    'run', '-d',
    '--name', node.container,
    '--label', `${LAB_LABEL}=${layout.name}`,
    '--label', `${LAB_LABEL}.node=${node.name}`,
    '--hostname', node.name,
    '--network', layout.network,
    '--ip', node.address,
    '--restart', 'unless-stopped',
    '--init',
    '--cgroupns', 'private',
    // What a nested dockerd needs; --privileged fails on this kernel (no CAP_SYS_RESOURCE).
    '--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE',
    '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined',
    '--device-cgroup-rule', 'a *:* rwm',
    '--tmpfs', '/run:rw,exec,mode=755',
    // A dockerd's data-root cannot sit on the container's overlay.
    '--mount', `type=volume,src=${node.volume},dst=/var/lib/docker`,
    ...limits,
    image,
  ];
}

/** An existing host gets the asked-for limits in place (docker update); true when they differed. */
async function setLimits(container: string, opts: Pick<LabUpOptions, 'cpus' | 'memory'>): Promise<boolean> {
  const now = (await docker(['inspect', container, '--format', '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}'])).stdout.trim().split(' ').map(Number);
  const wantCpu = opts.cpus === undefined ? now[0] : Math.round(opts.cpus * 1e9);
  const wantMem = opts.memory === undefined ? now[1] : memoryBytes(opts.memory);
  if (now[0] === wantCpu && now[1] === wantMem) return false;
  await docker(['update', ...limitArgs(opts), container]);
  return true;
}

/** Docker's memory syntax: 512m, 1g, 1.5g, or bytes. */
export function memoryBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)([bkmg]?)$/i.exec(v.trim());
  if (!m) throw new LabError(`--memory must look like 512m or 1g, got "${v}"`);
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
  const bytes = Math.round(Number(m[1]) * unit);
  if (bytes < 256 * 1024 ** 2) throw new LabError(`--memory must be at least 256m (a lab host runs sshd and dockerd), got "${v}"`);
  return bytes;
}

/** The lab runs on this machine's dockerd: say so plainly when it is not there. */
async function requireDocker(): Promise<void> {
  const res = await docker(['version', '--format', '{{.Server.Version}}'], { allowFail: true });
  if (res.code !== 0) {
    throw new LabError(`the lab needs this machine's dockerd and it does not answer (${res.stderr.trim().split('\n')[0]}); start it: scripts/setup (or: nohup dockerd >/var/log/dockerd.log 2>&1 &)`);
  }
}

async function labContainers(name: string): Promise<string[]> {
  return lines((await docker(['ps', '-a', '--filter', `label=${LAB_LABEL}=${name}`, '--format', '{{.Names}}'])).stdout);
}

async function ensureNetwork(layout: LabLayout): Promise<boolean> {
  const res = await docker(['network', 'inspect', layout.network, '--format', `{{index .Labels "${LAB_LABEL}"}} {{range .IPAM.Config}}{{.Subnet}}{{end}}`], { allowFail: true });
  if (res.code === 0) {
    const [label, subnet] = res.stdout.trim().split(' ');
    if (label !== layout.name) throw new LabError(`docker network ${layout.network} exists but was not made by lab ${layout.name}; remove it or pick another --name`);
    if (subnet !== layout.subnet) throw new LabError(`lab ${layout.name} already runs on ${subnet}, not ${layout.subnet}; run: edgefaas lab down --name ${layout.name}`);
    return false;
  }
  const created = await docker(
    ['network', 'create', '--driver', 'bridge', '--subnet', layout.subnet, '--gateway', layout.gateway,
      '-o', `com.docker.network.bridge.name=${layout.bridge}`, '--label', `${LAB_LABEL}=${layout.name}`, layout.network],
    { allowFail: true },
  );
  if (created.code !== 0) {
    throw new LabError(`cannot create the lab network ${layout.subnet}: ${created.stderr.trim()}; pick another --subnet (10.99.N.0/24)`);
  }
  return true;
}

async function containerState(container: string): Promise<'running' | 'stopped' | 'absent'> {
  const res = await docker(['inspect', container, '--format', '{{.State.Running}}'], { allowFail: true });
  if (res.code !== 0) return 'absent';
  return res.stdout.trim() === 'true' ? 'running' : 'stopped';
}

/** pi's password and authorized key, given once per node (on stdin, never argv). */
async function configureNode(container: string, f: LabFiles): Promise<boolean> {
  const pub = await fs.readFile(`${f.keyFile}.pub`, 'utf8');
  // Already given this lab home's key: nothing to do (another EDGEFAAS_HOME's key is replaced).
  const has = await docker(['exec', container, 'cat', '/home/pi/.ssh/authorized_keys'], { allowFail: true });
  if (has.code === 0 && has.stdout === pub) return false;
  const password = (await fs.readFile(f.passwordFile, 'utf8')).trim();
  await docker(['exec', '-i', container, 'chpasswd'], { stdin: `pi:${password}\n` });
  await docker(['exec', '-i', container, 'sh', '-c', 'install -d -m 700 -o pi -g pi /home/pi/.ssh && cat >/home/pi/.ssh/authorized_keys && chown pi:pi /home/pi/.ssh/authorized_keys && chmod 600 /home/pi/.ssh/authorized_keys'], { stdin: pub });
  return true;
}

/** Pi OS bookworm's stock line (one line, no cgroup settings): the kernel keeps the memory cgroup off. */
export const PI_CMDLINE = 'console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash plymouth.ignore-serial-consoles cfg80211.ieee80211_regdom=GB\n';

/** A Pi host gets its boot partition once, then boots again so its "kernel" reads it. */
async function makePi(container: string, address: string): Promise<boolean> {
  const has = await docker(['exec', container, 'test', '-f', '/boot/firmware/cmdline.txt'], { allowFail: true });
  if (has.code === 0) return false;
  await docker(['exec', '-i', container, 'sh', '-c', 'install -d -m 755 /boot/firmware && cat >/boot/firmware/cmdline.txt'], { stdin: PI_CMDLINE });
  await docker(['restart', container]);
  await waitForSsh(address, container);
  return true;
}

async function waitForSsh(address: string, container: string): Promise<void> {
  // First boot makes the host keys (RSA takes a while on a busy machine): allow a minute.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ host: address, port: 22, timeout: 2000 });
      s.once('data', () => (s.destroy(), res(true)));
      s.once('error', () => res(false));
      s.once('timeout', () => (s.destroy(), res(false)));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new LabError(`lab node ${container} (${address}) did not answer on port 22 within 60 s; see: docker logs ${container}`);
}

async function hostKeys(container: string, names: string[]): Promise<string[]> {
  const out = await docker(['exec', container, 'sh', '-c', 'cat /etc/ssh/ssh_host_*_key.pub']);
  return names.flatMap((name) =>
    lines(out.stdout).map((l) => {
      const [type, b64] = l.split(/\s+/);
      return `${name} ${type} ${b64}`;
    }),
  );
}

/**
 * dockerd with a raised API floor, as Docker 29 ships: Debian's init script reads /etc/default/docker,
 * and dpkg keeps the file when the kit installs docker.io (as an image builder's preseed would).
 */
async function setDockerFloor(container: string, version: string | undefined): Promise<boolean> {
  if (version === undefined) return false;
  const want = `# edgefaas lab: dockerd refuses clients below API ${version}, as Docker 29 does\nexport DOCKER_MIN_API_VERSION=${version}\n`;
  const have = await docker(['exec', container, 'cat', '/etc/default/docker'], { allowFail: true });
  if (have.code === 0 && have.stdout === want) return false;
  await docker(['exec', '-i', container, 'sh', '-c', 'cat > /etc/default/docker'], { stdin: want });
  await docker(['exec', '-i', container, 'sh', '-c', 'cat > /etc/dpkg/dpkg.cfg.d/edgefaas-lab-keep-config'], { stdin: 'force-confdef\nforce-confold\n' });
  return true;
}

/** The per-host options, checked before anything is made: bad input loses nothing. */
function checkHostOptions(layout: LabLayout, opts: LabUpOptions): void {
  if (opts.memory !== undefined) memoryBytes(opts.memory);
  if (opts.cpus !== undefined && !(opts.cpus > 0 && opts.cpus <= 64)) throw new LabError(`--cpus must be a number above 0, like 0.5, got "${opts.cpus}"`);
  for (const node of [...Object.keys(opts.os ?? {}), ...Object.keys(opts.dockerMinApi ?? {})]) {
    if (!layout.nodes.some((n) => n.name === node)) throw new LabError(`no host ${node} in lab ${layout.name} (it has ${layout.nodes.map((n) => n.name).join(', ')})`);
  }
  for (const [node, suite] of Object.entries(opts.os ?? {})) {
    if (!LAB_SUITES.includes(suite)) throw new LabError(`--os ${node}=${suite}: a lab host runs ${LAB_SUITES.join(' or ')}`);
  }
  for (const version of Object.values(opts.dockerMinApi ?? {})) {
    if (!/^1\.\d+$/.test(version)) throw new LabError(`--docker-min-api takes an API version like 1.44, got "${version}"`);
  }
}

/**
 * Makes (or finds) the lab's hosts and writes its cluster.yaml (with the `openfaas:` section `edgefaas up`
 * needs here), ssh config snippet and known_hosts.
 */
export async function labUp(opts: LabUpOptions = {}): Promise<LabInfo> {
  requireRoot('up');
  await requireDocker();
  const log = opts.log ?? (() => {});
  const layout = labLayout(opts.name ?? LAB_DEFAULTS.name, opts.subnet ?? LAB_DEFAULTS.subnet, opts.nodes ?? LAB_DEFAULTS.nodes);
  const clusterFile = resolve(opts.clusterFile ?? DEFAULT_CLUSTER_FILE);
  const f = labFiles(opts.home ?? edgefaasHome(), layout.name);

  if ((await isLabClusterFile(clusterFile, layout.name)) === false) {
    throw new LabError(`${clusterFile} exists and is not lab ${layout.name}'s: not overwriting it; pass --cluster-file <another path>`);
  }
  const existing = await labContainers(layout.name);
  const wanted = new Set(layout.nodes.map((n) => n.container));
  const extra = existing.filter((c) => !wanted.has(c));
  if (extra.length) {
    throw new LabError(`lab ${layout.name} has ${existing.length} nodes, more than --nodes ${layout.nodes.length}; run: edgefaas lab down --name ${layout.name} first`);
  }

  checkHostOptions(layout, opts);
  const limits = limitArgs(opts);
  let changed = await ensureNetwork(layout);
  await ensureSecrets(f);
  // OpenFaaS's own images cannot be pulled by lab hosts: up sideloads the stand-in gateway, Debian's
  // registry, Prometheus and Alertmanager, built here (once; reused while their recipes are unchanged).
  const suites = [...new Set(layout.nodes.map((n) => opts.os?.[n.name] ?? 'bookworm'))];
  const [images, openfaas] = await Promise.all([
    Promise.all(suites.map(async (suite) => [suite, await ensureNodeImage(log, suite)] as const)).then((e) => new Map(e)),
    labOpenfaasSection(log),
  ]);
  const block = hostsBlock(layout);
  const results = await Promise.all(
    layout.nodes.map(async (n) => {
      let touched = false;
      const image = images.get(opts.os?.[n.name] ?? 'bookworm')!;
      const state = await containerState(n.container);
      if (state !== 'absent' && (await docker(['inspect', n.container, '--format', '{{.Config.Image}}'])).stdout.trim() !== image) {
        throw new LabError(`lab host ${n.name} runs another image than asked (--os changed?); run: edgefaas lab down --name ${layout.name}, then lab up again`);
      }
      if (state === 'stopped') {
        log(`starting ${n.name} (${n.address})`);
        await docker(['start', n.container]);
        touched = true;
      } else if (state === 'absent') {
        log(`creating ${n.name} (${n.address})`);
        await docker(['volume', 'create', '--label', `${LAB_LABEL}=${layout.name}`, n.volume]);
        await docker(runArgs(layout, n, image, limits));
        touched = true;
      }
      if (state !== 'absent' && limits.length && (await setLimits(n.container, opts))) touched = true;
      await waitForSsh(n.address, n.container);
      if (await configureNode(n.container, f)) touched = true;
      if (await setHostsInContainer(n.container, layout.name, block)) touched = true;
      if (await setDockerFloor(n.container, opts.dockerMinApi?.[n.name])) touched = true;
      if (opts.pi && (await makePi(n.container, n.address))) touched = true;
      return { touched, keys: await hostKeys(n.container, [n.address, labHostName(layout.name, n.name)]) };
    }),
  );
  changed ||= results.some((r) => r.touched);
  let registry: ExistingRegistry | undefined;
  if ((opts.registry ?? ((await hasExistingRegistry(layout)) ? 'external' : 'manager')) === 'external') {
    const r = await ensureExistingRegistry(layout, join(f.dir, 'registry'), log);
    registry = r.registry;
    changed ||= r.changed;
  }
  changed = (await editHostsFile(layout.name, block)) || changed;
  const known = results.flatMap((r) => r.keys).join('\n') + '\n';
  changed = (await writeIfChanged(f.knownHostsFile, known, 0o600)) || changed;
  changed = (await writeIfChanged(f.sshConfigFile, sshConfigSnippet(layout, f), 0o600)) || changed;
  changed = (await writeIfChanged(clusterFile, clusterYaml(layout, f, openfaas, registry), 0o644)) || changed;
  const nodes = layout.nodes.map(({ name, address, container }) => ({ name, address, container, hostName: labHostName(layout.name, name) }));
  const state = { name: layout.name, subnet: layout.subnet, clusterFile, nodes };
  changed = (await writeIfChanged(f.stateFile, JSON.stringify(state, null, 2) + '\n', 0o600)) || changed;
  return { ...state, files: f, changed, ...(registry ? { registry } : {}) };
}

export interface LabDownResult {
  name: string;
  removed: string[];
}

/** Removes exactly what lab NAME made: its containers, volumes, network, files and its cluster.yaml. */
export async function labDown(name: string = LAB_DEFAULTS.name, opts: { home?: string; log?: (l: string) => void } = {}): Promise<LabDownResult> {
  requireRoot('down');
  await requireDocker();
  checkLabName(name);
  const log = opts.log ?? (() => {});
  const f = labFiles(opts.home ?? edgefaasHome(), name);
  const removed: string[] = [];
  const filter = `label=${LAB_LABEL}=${name}`;
  for (const c of await labContainers(name)) {
    await docker(['rm', '-f', '-v', c]);
    removed.push(`container ${c}`);
    log(`removed container ${c}`);
  }
  for (const v of lines((await docker(['volume', 'ls', '-q', '--filter', filter])).stdout)) {
    await docker(['volume', 'rm', '-f', v]);
    removed.push(`volume ${v}`);
  }
  for (const n of lines((await docker(['network', 'ls', '-q', '--filter', filter, '--format', '{{.Name}}'])).stdout)) {
    await docker(['network', 'rm', n]);
    removed.push(`network ${n}`);
  }
  if (await editHostsFile(name)) removed.push(`${HOSTS_FILE} entries of lab ${name}`);
  const state = await fs.readFile(f.stateFile, 'utf8').then((t) => JSON.parse(t) as { clusterFile?: string }, () => undefined);
  if (state?.clusterFile && (await isLabClusterFile(state.clusterFile, name))) {
    await fs.rm(state.clusterFile, { force: true });
    removed.push(`file ${state.clusterFile}`);
  }
  if (await exists(f.dir)) {
    await fs.rm(f.dir, { recursive: true, force: true });
    removed.push(`directory ${f.dir}`);
  }
  return { name, removed };
}

export interface LabNodeStatus {
  node: string;
  container: string;
  address: string;
  state: string;
  /** Notable processes on the node (sshd, dockerd, containerd, ...). */
  running: string[];
}

const plumbing = new Set(['ps', 'docker-init', 'lab-boot', 'sh', 'bash', 'sleep']);

export async function labStatus(name: string = LAB_DEFAULTS.name): Promise<LabNodeStatus[]> {
  checkLabName(name);
  await requireDocker();
  const out: LabNodeStatus[] = [];
  for (const c of (await labContainers(name)).sort()) {
    const info = await docker(['inspect', c, '--format', `{{index .Config.Labels "${LAB_LABEL}.node"}}|{{.State.Status}}|{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}`]);
    const [node = c, state = '?', address = ''] = info.stdout.trim().split('|');
    let running: string[] = [];
    if (state === 'running') {
      const ps = await docker(['exec', c, 'ps', '-eo', 'comm='], { allowFail: true });
      running = [...new Set(lines(ps.stdout).filter((p) => !plumbing.has(p)))].sort();
    }
    out.push({ node, container: c, address, state, running });
  }
  return out;
}
