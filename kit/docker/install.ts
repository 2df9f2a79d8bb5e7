import type { Step } from '../plan/types.ts';
import type { DockerFacts } from './facts.ts';
import { createHash } from 'node:crypto';
import { keysNeedingRestart, mergeDaemonJson, registriesNotApplied, type DaemonJsonNeeds, type RegistryConfig } from './daemon-json.ts';
import { rememberOriginal, saveStateStep, type NodeStateFile } from '../nodes/state.ts';

export const DAEMON_JSON = '/etc/docker/daemon.json';

/** What edgefaas knows beyond the probe: its record on the node, and what the running dockerd trusts. */
export interface DaemonContext {
  state: NodeStateFile;
  /** From `docker info` (undefined when dockerd is not running). */
  registryConfig?: RegistryConfig;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class UnsupportedOsError extends Error {
  override name = 'UnsupportedOsError';
}

const APT_OSES = ['debian', 'raspbian', 'ubuntu'];
const APT_TIMEOUT_MS = 20 * 60_000;
const APT_ENV = 'DEBIAN_FRONTEND=noninteractive';

/**
 * Steps that bring Docker to a node: install where missing (apt: docker.io, or docker-ce when
 * Docker's own repository is configured), merge daemon.json, start and enable it with the node's
 * service manager, add the SSH user to the docker group.
 *
 * daemon.json converges on what dockerd really runs with, not on the file alone: a file written by
 * a run that was cut off before dockerd picked it up (docker info does not show the registry, or
 * the node's record has not seen it applied) is applied by this run. Applied by SIGHUP when every
 * changed key is reloadable, else by a restart of dockerd, which the step's title says (it restarts
 * containers). The user's original file is recorded in the node's state (and kept as
 * daemon.json.edgefaas-backup) before the first change only.
 */
export function dockerPlan(node: string, facts: DockerFacts, needs: DaemonJsonNeeds, ctx?: DaemonContext): { steps: Step[]; state?: NodeStateFile } {
  const steps: Step[] = [];
  if (!facts.dockerInstalled && !APT_OSES.includes(facts.os)) {
    throw new UnsupportedOsError(
      `${node} runs ${facts.os}, which edgefaas cannot install Docker on (it knows apt: Debian, Raspberry Pi OS, Ubuntu); install Docker on it by hand, then run: edgefaas up`,
    );
  }
  let state = ctx?.state;

  const merge = mergeDaemonJson(facts.daemonJson, needs, node);
  if (merge.changed) {
    if (state && !state.files[DAEMON_JSON]) {
      state = rememberOriginal(state, DAEMON_JSON, facts.daemonJson);
      steps.push(saveStateStep(state, `the original ${DAEMON_JSON}`));
    }
    steps.push({
      title: `merge ${DAEMON_JSON} (${merge.added.join(', ')})`,
      command:
        'mkdir -p /etc/docker && ' +
        // The first backup is the user's file: a later change never overwrites it.
        `{ [ ! -e ${DAEMON_JSON} ] || [ -e ${DAEMON_JSON}.edgefaas-backup ] || cp -p ${DAEMON_JSON} ${DAEMON_JSON}.edgefaas-backup; } && ` +
        `cat > ${DAEMON_JSON}.edgefaas-new && mv ${DAEMON_JSON}.edgefaas-new ${DAEMON_JSON}`,
      stdin: merge.text,
      sudo: true,
    });
  }

  if (!facts.dockerInstalled) {
    const pkgs = facts.dockerAptRepo ? 'docker-ce docker-ce-cli containerd.io' : 'docker.io ca-certificates';
    // Debian 13 (trixie) moved the docker CLI to docker-cli and dropped cgroupfs-mount (which the init
    // script wants without systemd on bookworm): each only where the release has it.
    const optional = facts.dockerAptRepo ? [] : ['docker-cli', ...(facts.serviceManager === 'sysv' ? ['cgroupfs-mount'] : [])];
    const available = optional.length
      ? ` $(for p in ${optional.join(' ')}; do apt-cache policy "$p" | grep -q "Candidate: [0-9]" && echo "$p"; done)`
      : '';
    steps.push({
      title: `install ${facts.dockerAptRepo ? 'docker-ce (Docker\'s apt repository)' : 'docker.io'}`,
      command: `apt-get update -qq && ${APT_ENV} apt-get install -y -qq --no-install-recommends ${pkgs}${available}`,
      sudo: true,
      timeoutMs: APT_TIMEOUT_MS,
    });
  }

  const fileNow = merge.text;
  // The file is edgefaas's (recorded in the node's state; a merge above records it) and dockerd was not yet seen running it.
  const recordedNotApplied = state?.files[DAEMON_JSON] !== undefined && state.daemonJsonApplied !== sha256(fileNow);
  // Does the running dockerd run with the file? Not when an earlier run wrote it and was cut off.
  const notApplied = facts.dockerRunning && ctx !== undefined && (registriesNotApplied(ctx.registryConfig, needs).length > 0 || recordedNotApplied);
  let applied = false;
  if (!facts.dockerRunning) {
    steps.push(
      facts.serviceManager === 'systemd'
        ? { title: 'start and enable docker (systemd)', command: 'systemctl enable --now docker', sudo: true }
        : {
            title: 'start and enable docker (init script)',
            command: '{ update-rc.d docker defaults >/dev/null 2>&1 || true; } && service docker start',
            sudo: true,
          },
    );
    applied = true;
  } else if (merge.changed || notApplied) {
    // What dockerd runs with now: the file before this run's merge, or (when an earlier run's
    // write never reached dockerd) the file as it was before edgefaas first changed it.
    const running = notApplied && state?.files[DAEMON_JSON] ? state.files[DAEMON_JSON].original : facts.daemonJson;
    const restartFor = keysNeedingRestart(running, fileNow);
    if (restartFor.length) {
      steps.push({
        title: `restart docker to apply ${DAEMON_JSON} (${restartFor.join(', ')} not reloaded by SIGHUP): running containers restart`,
        command: facts.serviceManager === 'systemd' ? 'systemctl restart docker' : 'service docker restart',
        sudo: true,
        timeoutMs: 120_000,
      });
    } else {
      steps.push({
        title: 'reload docker (picks up insecure-registries; running containers untouched)',
        command: 'kill -HUP "$(cat /var/run/docker.pid)"',
        sudo: true,
      });
    }
    applied = true;
  }

  if (applied) steps.push(waitForDockerStep());
  if (state && (applied || merge.changed) && recordedNotApplied) {
    state = { ...state, daemonJsonApplied: sha256(fileNow) };
    steps.push(saveStateStep(state, `that dockerd runs with ${DAEMON_JSON}`));
  }

  if (!facts.userInDockerGroup) {
    steps.push({
      title: 'add the SSH user to the docker group',
      command: 'u="$SUDO_USER"; [ -n "$u" ] || u="$(id -un)"; usermod -aG docker "$u"',
      sudo: true,
    });
  }
  return { steps, state };
}

export function waitForDockerStep(seconds = 60): Step {
  return {
    title: 'wait for dockerd',
    command: `i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -ge ${seconds} ] && { echo "dockerd did not answer within ${seconds}s" >&2; exit 1; }; sleep 1; done`,
    sudo: true,
    timeoutMs: (seconds + 15) * 1000,
  };
}
