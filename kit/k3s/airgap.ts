import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { OrchestratorUsageError, type Airgap } from '../orchestrator/contract.ts';
import type { Step } from '../plan/types.ts';
import { shellQuote } from '../ssh/sudo.ts';
import { K3S_AIRGAP_IMAGES_DIR } from './version.ts';

/** The user's airgap files, checked on this machine before any node is touched. */
export interface CheckedAirgap {
  binary: { path: string; sha256: string; arch: string };
  images: { path: string; sha256: string; name: string };
  script: string;
}

/** ELF e_machine → uname -m of the nodes that run it. */
const ELF_MACHINES: Record<number, string[]> = { 0x3e: ['x86_64'], 0xb7: ['aarch64', 'arm64'], 0x28: ['armv7l', 'armv6l', 'armhf'] };

async function mustExist(path: string, what: string, flag: string): Promise<string> {
  const abs = resolve(path);
  const st = await fs.stat(abs).catch(() => undefined);
  if (!st?.isFile()) throw new OrchestratorUsageError(`${flag} ${path}: no such file (${what}); nothing was changed`);
  return abs;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** sha256sum's format ("<hex>  name" or "<hex> *name"), as k3s publishes sha256sum-<arch>.txt. */
export function parseChecksums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$/.exec(line);
    if (m) out.set(basename(m[2]!), m[1]!.toLowerCase());
  }
  return out;
}

async function elfArch(path: string): Promise<string[] | undefined> {
  const fh = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(20);
    await fh.read(buf, 0, 20, 0);
    if (buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
    const machine = buf[5] === 2 ? buf.readUInt16BE(18) : buf.readUInt16LE(18);
    return ELF_MACHINES[machine];
  } finally {
    await fh.close();
  }
}

/**
 * Files exist, the binary is an ELF for the nodes' architecture, and both digests match the
 * user's sha256 file (as k3s-ansible's airgap role checks). Any miss: a clear error, nothing changed.
 */
export async function checkAirgap(a: Airgap, nodeArchs?: Array<{ node: string; arch: string }>): Promise<CheckedAirgap> {
  const binary = await mustExist(a.binary, 'the k3s binary', '--k3s-binary');
  const images = await mustExist(a.images, 'the k3s airgap images tarball', '--k3s-images');
  const sums = await mustExist(a.checksums, 'the sha256 file for both', '--k3s-sha256');
  const script = join(dirname(binary), 'install.sh');
  if (!(await fs.stat(script).catch(() => undefined))?.isFile()) {
    throw new OrchestratorUsageError(`no ${script}: save ${'https://get.k3s.io'} there as install.sh (the airgap install runs it with INSTALL_K3S_SKIP_DOWNLOAD=true); nothing was changed`);
  }
  const archs = await elfArch(binary);
  if (!archs) throw new OrchestratorUsageError(`--k3s-binary ${a.binary} is not a Linux executable for x86_64, arm64 or armhf; nothing was changed`);
  const wrongArch = (nodeArchs ?? []).filter((n) => !archs.includes(n.arch));
  if (wrongArch.length) {
    throw new OrchestratorUsageError(
      `--k3s-binary ${a.binary} is for ${archs[0]} but ${wrongArch.map((n) => `${n.node} is ${n.arch}`).join(', ')}; one airgap binary serves one architecture; nothing was changed`,
    );
  }
  const listed = parseChecksums(await fs.readFile(sums, 'utf8'));
  const verify = async (path: string) => {
    const want = listed.get(basename(path));
    if (!want) throw new OrchestratorUsageError(`${a.checksums} lists no sha256 for ${basename(path)}; nothing was changed`);
    const got = await sha256File(path);
    if (got !== want) {
      throw new OrchestratorUsageError(`${path}: sha256 ${got} does not match ${want} in ${a.checksums}; download it again; nothing was changed`);
    }
    return got;
  };
  return {
    binary: { path: binary, sha256: await verify(binary), arch: archs[0]! },
    images: { path: images, sha256: await verify(images), name: basename(images) },
    script,
  };
}

export const AIRGAP_STAGE = '/tmp/edgefaas-k3s-airgap';
export const AIRGAP_SCRIPT = `${AIRGAP_STAGE}/install.sh`;

/** Where each uploaded file goes, with the digest it must have there. */
export function airgapTargets(a: CheckedAirgap): Array<{ local: string; staged: string; target: string; sha256?: string; mode: number }> {
  return [
    { local: a.binary.path, staged: `${AIRGAP_STAGE}/k3s`, target: '/usr/local/bin/k3s', sha256: a.binary.sha256, mode: 0o755 },
    { local: a.images.path, staged: `${AIRGAP_STAGE}/${a.images.name}`, target: `${K3S_AIRGAP_IMAGES_DIR}/${a.images.name}`, sha256: a.images.sha256, mode: 0o644 },
  ];
}

/** Read-only: which airgap files the node already has with the right digest. */
export function airgapPresentStep(a: CheckedAirgap): Step {
  const files = airgapTargets(a).map((t) => shellQuote(t.target)).join(' ');
  return { title: 'airgap files already in place?', command: `sha256sum ${files} 2>/dev/null || true`, sudo: true, readOnly: true };
}

/** After the SFTP upload: the digest checked again on the node, then the file put in place. */
export function placeAirgapStep(t: ReturnType<typeof airgapTargets>[number]): Step {
  const staged = shellQuote(t.staged);
  return {
    title: `check and install ${t.target}`,
    command:
      `echo ${shellQuote(`${t.sha256}  ${t.staged}`)} | sha256sum -c --quiet - || { echo "${t.staged}: sha256 differs after upload" >&2; rm -f ${staged}; exit 1; }; ` +
      `install -d -m 755 ${shellQuote(dirname(t.target))} && install -m ${t.mode.toString(8)} ${staged} ${shellQuote(t.target)} && rm -f ${staged}`,
    sudo: true,
    timeoutMs: 10 * 60_000,
  };
}
