import { posix } from 'node:path';
import type { Step } from '../plan/types.ts';
import { shellQuote } from '../ssh/sudo.ts';
import { K3S_INSTALL_URL, K3S_SERVER_TOKEN, K3S_VERSION, PI_CGROUP_ARGS } from './version.ts';

/** Writes `content` (on stdin, never argv) to `path` atomically with `mode`; the directory is made 0755. */
export function writeFileStep(title: string, path: string, content: string, mode: number): Step {
  const tmp = `${path}.edgefaas-tmp`;
  return {
    title,
    command:
      `install -d -m 755 ${shellQuote(posix.dirname(path))} && umask 077 && cat > ${shellQuote(tmp)} && ` +
      `chmod ${mode.toString(8)} ${shellQuote(tmp)} && mv -f ${shellQuote(tmp)} ${shellQuote(path)}`,
    sudo: true,
    stdin: content,
  };
}

/** The Pi boot arguments cmdline.txt lacks; [] when the memory cgroup needs nothing added. */
export function missingCgroupArgs(cmdline: string): string[] {
  const have = new Set((cmdline.split('\n')[0] ?? '').trim().split(/\s+/));
  return PI_CGROUP_ARGS.filter((a) => !have.has(a));
}

/**
 * Appends the missing arguments to cmdline.txt's one line, nothing else changed (sed keeps a
 * missing final newline), after a backup of the original that later runs never overwrite.
 */
export function cmdlineStep(file: string, add: string[]): Step {
  const f = shellQuote(file);
  const backup = shellQuote(`${file}.edgefaas-backup`);
  return {
    title: `add ${add.join(' ')} to ${file} (backup ${file}.edgefaas-backup)`,
    command: `[ -e ${backup} ] || cp -p ${f} ${backup}; sed -i '1 s/$/ ${add.join(' ')}/' ${f}`,
    sudo: true,
  };
}

/** Reboots in the background so the SSH command returns before the connection drops. */
export function rebootStep(): Step {
  return { title: 'reboot (the kernel reads cmdline.txt at boot)', command: "nohup sh -c 'sleep 2; reboot' >/dev/null 2>&1 &", sudo: true };
}

export type K3sKind = 'server' | 'agent';

/**
 * The official install script with INSTALL_K3S_* only (settings are in config.yaml). Online it is
 * fetched from get.k3s.io; airgap it is the uploaded script with the uploaded binary.
 */
export function installStep(kind: K3sKind, airgapScript?: string): Step {
  const exec = `INSTALL_K3S_EXEC=${kind}`;
  const command = airgapScript
    ? `INSTALL_K3S_SKIP_DOWNLOAD=true ${exec} sh ${shellQuote(airgapScript)}`
    : `curl -sfL ${K3S_INSTALL_URL} | INSTALL_K3S_VERSION=${shellQuote(K3S_VERSION)} ${exec} sh -s -`;
  return { title: `install k3s ${K3S_VERSION} (${kind})`, command, sudo: true, timeoutMs: 15 * 60_000 };
}

/** The server's join token, read for the joiners' token files (its output is redacted, never shown). */
export function readTokenStep(): Step {
  return {
    title: 'read the join token',
    command: `i=0; until [ -s ${K3S_SERVER_TOKEN} ]; do i=$((i+1)); [ $i -ge 120 ] && { echo "no ${K3S_SERVER_TOKEN} after 120s" >&2; exit 1; }; sleep 1; done; cat ${K3S_SERVER_TOKEN}`,
    sudo: true,
    timeoutMs: 180_000,
  };
}

/** Bounded wait for the node to report Ready to the API server (run on a server). */
export function waitNodeReadyStep(node: string): Step {
  const q = shellQuote(node);
  return {
    title: `wait for ${node} to be Ready`,
    command:
      `i=0; until [ "$(k3s kubectl get node ${q} -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; do ` +
      `i=$((i+1)); [ $i -ge 150 ] && { echo "node ${node} not Ready after 300s; on it see: journalctl -u k3s -u k3s-agent" >&2; exit 1; }; sleep 2; done`,
    sudo: true,
    timeoutMs: 360_000,
  };
}

export function readKubeconfigStep(path: string): Step {
  return { title: 'fetch the kubeconfig', command: `cat ${path}`, sudo: true };
}

/** down: OpenFaaS's namespaces and the kit's cluster-wide objects go; k3s stays. */
export function removeOpenfaasStep(namespaces: string[], clusterObjects: string[]): Step {
  const ns = namespaces.map(shellQuote).join(' ');
  const cluster = clusterObjects.length ? `k3s kubectl delete --ignore-not-found --wait=true ${clusterObjects.map(shellQuote).join(' ')} >/dev/null && ` : '';
  return {
    title: `remove OpenFaaS (namespaces ${namespaces.join(', ')})`,
    command: `${cluster}k3s kubectl delete namespace --ignore-not-found --wait=true --timeout=180s ${ns} >/dev/null`,
    sudo: true,
    timeoutMs: 240_000,
  };
}

/** down --purge: the uninstall script the install script wrote (agents first, then servers). */
export function uninstallStep(kind: K3sKind): Step {
  const script = kind === 'server' ? '/usr/local/bin/k3s-uninstall.sh' : '/usr/local/bin/k3s-agent-uninstall.sh';
  return { title: `uninstall k3s (${script})`, command: script, sudo: true, timeoutMs: 10 * 60_000 };
}
