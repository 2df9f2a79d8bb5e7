import type { Step } from '../plan/types.ts';
import type { DockerFacts } from './facts.ts';
import { mergeDaemonJson, type DaemonJsonNeeds } from './daemon-json.ts';
import { shq } from './shell.ts';

export class UnsupportedOsError extends Error {
  override name = 'UnsupportedOsError';
}

const APT_OSES = ['debian', 'raspbian', 'ubuntu'];
const APT_TIMEOUT_MS = 20 * 60_000;
const APT_ENV = 'DEBIAN_FRONTEND=noninteractive';

/**
 * Steps that bring Docker to a node: install where missing (apt: docker.io, or docker-ce when
 * Docker's own repository is configured), merge daemon.json, start and enable it with the node's
 * service manager, add the SSH user to the docker group. A node that already runs Docker only gets
 * the daemon.json merge, applied with a reload (SIGHUP), never a restart.
 */
export function dockerSteps(node: string, facts: DockerFacts, needs: DaemonJsonNeeds): Step[] {
  const steps: Step[] = [];
  if (!facts.dockerInstalled && !APT_OSES.includes(facts.os)) {
    throw new UnsupportedOsError(
      `${node} runs ${facts.os}, which edgefaas cannot install Docker on (it knows apt: Debian, Raspberry Pi OS, Ubuntu); install Docker on it by hand, then run: edgefaas up`,
    );
  }

  const merge = mergeDaemonJson(facts.daemonJson, needs, node);
  if (merge.changed) {
    steps.push({
      title: `merge /etc/docker/daemon.json (${merge.added.join(', ')})`,
      command:
        'mkdir -p /etc/docker && ' +
        '{ [ ! -e /etc/docker/daemon.json ] || cp -p /etc/docker/daemon.json /etc/docker/daemon.json.edgefaas-backup; } && ' +
        `printf '%s' ${shq(merge.text)} > /etc/docker/daemon.json.edgefaas-new && ` +
        'mv /etc/docker/daemon.json.edgefaas-new /etc/docker/daemon.json',
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
  } else if (merge.changed) {
    steps.push({
      title: 'reload docker (picks up insecure-registries; running containers untouched)',
      command: 'kill -HUP "$(cat /var/run/docker.pid)"',
      sudo: true,
    });
  }

  if (!facts.dockerRunning || merge.changed) steps.push(waitForDockerStep());

  if (!facts.userInDockerGroup) {
    steps.push({
      title: 'add the SSH user to the docker group',
      command: 'u="$SUDO_USER"; [ -n "$u" ] || u="$(id -un)"; usermod -aG docker "$u"',
      sudo: true,
    });
  }
  return steps;
}

export function waitForDockerStep(seconds = 60): Step {
  return {
    title: 'wait for dockerd',
    command: `i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -ge ${seconds} ] && { echo "dockerd did not answer within ${seconds}s" >&2; exit 1; }; sleep 1; done`,
    sudo: true,
    timeoutMs: (seconds + 15) * 1000,
  };
}
