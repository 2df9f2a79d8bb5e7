import type { Step } from '../plan/types.ts';
import { K3S_CONFIG, K3S_REGISTRIES, K3S_SERVER_TOKEN, K3S_TOKEN_FILE } from './version.ts';

/** What up needs to know about a node before it plans anything (read-only, also under --dry-run). */
export interface K3sFacts {
  /** uname -m */
  arch: string;
  k3sVersion: string;
  serverActive: boolean;
  agentActive: boolean;
  /** /proc/cgroups: the memory controller is enabled in the running kernel. */
  memoryCgroup: boolean;
  /** The Pi boot command line file, '' when the node has none. */
  cmdlineFile: string;
  cmdline: string;
  configYaml: string;
  registriesYaml: string;
  hasTokenFile: boolean;
  hasServerToken: boolean;
  curl: boolean;
}

const b64 = (path: string) => `$( [ -f ${path} ] && base64 -w0 ${path} )`;

const PROBE = [
  'echo "arch=$(uname -m)"',
  'echo "k3s_version=$( [ -x /usr/local/bin/k3s ] && /usr/local/bin/k3s --version 2>/dev/null | head -1 | cut -d" " -f3)"',
  ...['k3s', 'k3s-agent'].map(
    (unit) => `echo "${unit === 'k3s' ? 'server' : 'agent'}_active=$( { systemctl is-active --quiet ${unit} 2>/dev/null || rc-service ${unit} status >/dev/null 2>&1; } && echo 1)"`,
  ),
  `echo "memory_cgroup=$(awk '$1=="memory"{print $4}' /proc/cgroups)"`,
  'f=/boot/firmware/cmdline.txt; [ -f $f ] || f=/boot/cmdline.txt; [ -f $f ] || f=',
  'echo "cmdline_file=$f"',
  'echo "cmdline=$( [ -n "$f" ] && base64 -w0 $f )"',
  `echo "config=${b64(K3S_CONFIG)}"`,
  `echo "registries=${b64(K3S_REGISTRIES)}"`,
  `echo "token_file=$( [ -f ${K3S_TOKEN_FILE} ] && echo 1)"`,
  `echo "server_token=$( [ -f ${K3S_SERVER_TOKEN} ] && echo 1)"`,
  'echo "curl=$(command -v curl >/dev/null && echo 1)"',
].join('\n');

export function probeK3sStep(): Step {
  return { title: 'read k3s, cgroup and boot state', command: PROBE, sudo: true, readOnly: true, timeoutMs: 60_000 };
}

export function parseK3sFacts(out: string): K3sFacts {
  const v = new Map<string, string>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) v.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  if (!v.has('arch') || !v.has('memory_cgroup')) throw new Error(`unexpected k3s probe output: ${out.slice(0, 200)}`);
  const text = (k: string) => Buffer.from(v.get(k) ?? '', 'base64').toString('utf8');
  return {
    arch: v.get('arch')!,
    k3sVersion: v.get('k3s_version') ?? '',
    serverActive: v.get('server_active') === '1',
    agentActive: v.get('agent_active') === '1',
    memoryCgroup: v.get('memory_cgroup') === '1',
    cmdlineFile: v.get('cmdline_file') ?? '',
    cmdline: text('cmdline'),
    configYaml: text('config'),
    registriesYaml: text('registries'),
    hasTokenFile: v.get('token_file') === '1',
    hasServerToken: v.get('server_token') === '1',
    curl: v.get('curl') === '1',
  };
}
