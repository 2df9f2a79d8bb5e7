/** Merges what edgefaas needs into /etc/docker/daemon.json, keeping every key the node already has. */

export interface DaemonJsonNeeds {
  /** host:port of plain-HTTP registries every daemon must trust (the LAN registry). */
  insecureRegistries: string[];
}

export interface DaemonJsonMerge {
  text: string;
  changed: boolean;
  /** What was added, for the progress line, e.g. ["insecure-registries 10.0.0.1:5000", "log rotation"]. */
  added: string[];
}

export class DaemonJsonError extends Error {
  override name = 'DaemonJsonError';
}

const LOG_OPTS = { 'max-size': '10m', 'max-file': '3' } as const;

export function mergeDaemonJson(existing: string | undefined, needs: DaemonJsonNeeds, where = 'this node'): DaemonJsonMerge {
  let config: Record<string, unknown> = {};
  if (existing !== undefined && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (e) {
      throw new DaemonJsonError(
        `/etc/docker/daemon.json on ${where} is not valid JSON (${(e as Error).message}); fix it or move it aside, then run: edgefaas up`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new DaemonJsonError(`/etc/docker/daemon.json on ${where} is not a JSON object; fix it, then run: edgefaas up`);
    }
    config = { ...(parsed as Record<string, unknown>) };
  }
  const added: string[] = [];

  const current = config['insecure-registries'];
  if (current !== undefined && !Array.isArray(current)) {
    throw new DaemonJsonError(`"insecure-registries" in /etc/docker/daemon.json on ${where} is not a list; fix it, then run: edgefaas up`);
  }
  const registries = [...((current as string[] | undefined) ?? [])];
  const missing = needs.insecureRegistries.filter((r) => !registries.includes(r));
  if (missing.length) {
    config['insecure-registries'] = [...registries, ...missing];
    added.push(`insecure-registries ${missing.join(' ')}`);
  }

  // Log rotation only for the json-file driver (the default), and only keys the node has not set.
  const driver = config['log-driver'];
  if (driver === undefined || driver === 'json-file') {
    const opts = { ...((config['log-opts'] as Record<string, string> | undefined) ?? {}) };
    const missingOpts = Object.entries(LOG_OPTS).filter(([k]) => opts[k] === undefined);
    if (missingOpts.length) {
      if (driver === undefined) config['log-driver'] = 'json-file';
      config['log-opts'] = { ...opts, ...Object.fromEntries(missingOpts) };
      added.push('log rotation');
    }
  }

  const changed = added.length > 0;
  return { text: changed ? `${JSON.stringify(config, null, 2)}\n` : (existing ?? ''), changed, added };
}

/**
 * Keys dockerd re-reads on SIGHUP (Docker's "configuration reload behavior"); any other key, such as
 * log-driver and log-opts, takes a restart of dockerd, which restarts its containers.
 */
const RELOADABLE = new Set([
  'debug', 'labels', 'live-restore', 'max-concurrent-downloads', 'max-concurrent-uploads', 'max-download-attempts',
  'default-runtime', 'runtimes', 'authorization-plugins', 'insecure-registries', 'registry-mirrors', 'shutdown-timeout', 'features',
]);

function objectOf(text: string | null | undefined): Record<string, unknown> {
  if (!text || !text.trim()) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The keys that differ between two daemon.json texts and that SIGHUP does not apply. */
export function keysNeedingRestart(before: string | null | undefined, after: string | null | undefined): string[] {
  const a = objectOf(before);
  const b = objectOf(after);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !RELOADABLE.has(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** `docker info --format '{{json .RegistryConfig}}'`: what the running dockerd really trusts. */
export interface RegistryConfig {
  IndexConfigs?: Record<string, { Secure?: boolean; Mirrors?: string[] }>;
  Mirrors?: string[] | null;
}

/** The needed registries the running dockerd does not treat as insecure yet (none known when it could not be asked). */
export function registriesNotApplied(running: RegistryConfig | undefined, needs: DaemonJsonNeeds): string[] {
  if (!running) return [];
  return needs.insecureRegistries.filter((r) => running.IndexConfigs?.[r]?.Secure !== false);
}
