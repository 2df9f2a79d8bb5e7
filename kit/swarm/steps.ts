import type { Step } from '../plan/types.ts';
import { shq } from '../docker/shell.ts';

export const SWARM_PORT = 2377;

export function swarmInitStep(advertiseAddr: string): Step {
  return {
    title: `swarm init (advertise ${advertiseAddr})`,
    command: `docker swarm init --advertise-addr ${shq(advertiseAddr)}`,
    sudo: true,
    timeoutMs: 60_000,
  };
}

/** Prints the worker token then the manager token; its output is never shown. */
export function readJoinTokensStep(): Step {
  return {
    title: 'read join tokens',
    command: 'docker swarm join-token -q worker && docker swarm join-token -q manager',
    sudo: true,
    readOnly: true,
  };
}

export function parseJoinTokens(out: string): { worker: string; manager: string } {
  const [worker = '', manager = ''] = out.trim().split('\n').map((l) => l.trim());
  if (!/^SWMTKN-/.test(worker) || !/^SWMTKN-/.test(manager)) throw new Error('the manager did not print two join tokens');
  return { worker, manager };
}

/**
 * Joins through the Docker API on the node's socket so the token travels on stdin, never in an
 * argv that `ps` shows (the docker CLI only takes it as --token). perl-base is on every Debian.
 */
const POST_JOIN =
  `perl -MIO::Socket::UNIX -e 'local $/; my $b = <STDIN>; ` +
  `my $s = IO::Socket::UNIX->new(Peer => "/var/run/docker.sock") or die "cannot open /var/run/docker.sock: $!\\n"; ` +
  `print $s "POST /swarm/join HTTP/1.0\\r\\nHost: docker\\r\\nContent-Type: application/json\\r\\nContent-Length: " . length($b) . "\\r\\n\\r\\n" . $b; ` +
  `my $r = join("", <$s>); my ($c) = $r =~ m{^HTTP/\\S+ (\\d+)}; my ($m) = $r =~ m{"message":"([^"]*)"}; ` +
  `if (!$c || $c >= 300) { print STDERR "swarm join failed: " . ($m // $r) . "\\n"; exit 1 }'`;

export function swarmJoinStep(o: { role: 'manager' | 'worker'; managerAddr: string; advertiseAddr: string; token: string }): Step {
  const body = {
    ListenAddr: `0.0.0.0:${SWARM_PORT}`,
    AdvertiseAddr: o.advertiseAddr,
    RemoteAddrs: [`${o.managerAddr}:${SWARM_PORT}`],
    JoinToken: o.token,
  };
  return {
    title: `join the swarm as ${o.role} (manager ${o.managerAddr})`,
    command: POST_JOIN,
    stdin: JSON.stringify(body),
    sudo: true,
    timeoutMs: 120_000,
  };
}

export function promoteStep(swarmNodeId: string, name: string, to: 'manager' | 'worker'): Step {
  return {
    title: `${to === 'manager' ? 'promote' : 'demote'} ${name} to ${to}`,
    command: `docker node ${to === 'manager' ? 'promote' : 'demote'} ${shq(swarmNodeId)}`,
    sudo: true,
  };
}

export function labelStep(swarmNodeId: string, name: string, labels: Record<string, string>): Step {
  const adds = Object.entries(labels).map(([k, v]) => `--label-add ${shq(`${k}=${v}`)}`);
  return {
    title: `label ${name} (${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ')})`,
    command: `docker node update ${adds.join(' ')} ${shq(swarmNodeId)}`,
    sudo: true,
  };
}

export function leaveSwarmStep(force: boolean): Step {
  return {
    title: 'leave the swarm',
    command: `docker swarm leave${force ? ' --force' : ''}`,
    sudo: true,
  };
}
