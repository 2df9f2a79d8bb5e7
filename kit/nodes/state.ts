import type { Step } from '../plan/types.ts';

/**
 * What edgefaas made or changed on one node, kept on the node itself
 * (/var/lib/edgefaas/state.json, root 0600), so `down` removes only that and `down --purge` can put
 * back what was there before. Things in Docker (services, secrets) also carry an edgefaas label.
 */
export const STATE_FILE = '/var/lib/edgefaas/state.json';

/** created: edgefaas ran swarm init; joined: edgefaas joined this node; adopted: the swarm was there and the user said --adopt. */
export type SwarmOwnership = 'created' | 'joined' | 'adopted';

export interface NodeStateFile {
  version: 1;
  /** cluster.yaml's name. */
  cluster: string;
  swarm?: { clusterId: string; how: SwarmOwnership };
  /** On a manager: swarm services edgefaas created (the stack's and the registry). */
  services: string[];
  /** On a manager: swarm secrets edgefaas created. */
  secrets: string[];
  /** Files edgefaas changed, with what they held before its first change (null: there was no file). */
  files: Record<string, { original: string | null }>;
  /** sha256 of the daemon.json dockerd was last started or reloaded with by edgefaas. */
  daemonJsonApplied?: string;
}

export function emptyState(cluster: string): NodeStateFile {
  return { version: 1, cluster, services: [], secrets: [], files: {} };
}

export class NodeStateError extends Error {
  override name = 'NodeStateError';
}

/** The file as the probe read it (undefined: none yet). */
export function parseNodeState(text: string | undefined, cluster: string, node: string): NodeStateFile {
  if (text === undefined || text.trim() === '') return emptyState(cluster);
  let v: Partial<NodeStateFile>;
  try {
    v = JSON.parse(text) as Partial<NodeStateFile>;
  } catch (e) {
    throw new NodeStateError(`${STATE_FILE} on ${node} is not valid JSON (${(e as Error).message}); edgefaas keeps its record of what it made there: restore it or move it aside, then run again`);
  }
  return { ...emptyState(cluster), ...v, version: 1 };
}

/** Records `original` as the file's content before edgefaas first changed it; a later change keeps the first. */
export function rememberOriginal(state: NodeStateFile, path: string, original: string | undefined): NodeStateFile {
  if (state.files[path]) return state;
  return { ...state, files: { ...state.files, [path]: { original: original ?? null } } };
}

/** Writes the state file from stdin (it holds the user's original files: never argv), atomically. */
export function saveStateStep(state: NodeStateFile, why: string): Step {
  return {
    title: `record ${why} in ${STATE_FILE}`,
    command:
      `umask 077 && mkdir -p ${STATE_FILE.slice(0, STATE_FILE.lastIndexOf('/'))} && ` +
      `cat > ${STATE_FILE}.new && mv ${STATE_FILE}.new ${STATE_FILE}`,
    stdin: `${JSON.stringify(state, null, 2)}\n`,
    sudo: true,
  };
}

export function removeStateStep(): Step {
  return { title: `remove ${STATE_FILE} (nothing of edgefaas is left here)`, command: `rm -f ${STATE_FILE}`, sudo: true };
}
