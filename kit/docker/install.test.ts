import { describe, expect, it } from 'vitest';
import type { DockerFacts } from './facts.ts';
import { emptyState } from '../nodes/state.ts';
import { dockerPlan, sha256 } from './install.ts';

const dockerSteps = (...args: Parameters<typeof dockerPlan>) => dockerPlan(...args).steps;

const bare: DockerFacts = {
  arch: 'aarch64', userland: 'arm64', os: 'debian', serviceManager: 'systemd', dockerInstalled: false, dockerAptRepo: false,
  dockerRunning: false, userInDockerGroup: false, ipvs: true, images: [], swarm: { state: '', nodeId: '', isManager: false, clusterId: '' }, api: null,
};
const needs = { insecureRegistries: ['10.0.0.11:5000'] };
/** A node where Docker is installed, running and usable, with this daemon.json. */
const runningWith = (daemonJson: string): DockerFacts => ({ ...bare, dockerInstalled: true, dockerRunning: true, userInDockerGroup: true, daemonJson });
const merged = `{\n  "insecure-registries": [\n    "10.0.0.11:5000"\n  ],\n  "log-driver": "json-file",\n  "log-opts": {\n    "max-size": "10m",\n    "max-file": "3"\n  }\n}\n`;

describe('dockerSteps', () => {
  it('on a bare Debian node with systemd: daemon.json first, docker.io, enable, wait, docker group', () => {
    const steps = dockerSteps('pi-2', bare, needs);
    expect(steps.map((s) => s.command)).toEqual([
      'mkdir -p /etc/docker && { [ ! -e /etc/docker/daemon.json ] || [ -e /etc/docker/daemon.json.edgefaas-backup ] || cp -p /etc/docker/daemon.json /etc/docker/daemon.json.edgefaas-backup; } && cat > /etc/docker/daemon.json.edgefaas-new && mv /etc/docker/daemon.json.edgefaas-new /etc/docker/daemon.json',
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io ca-certificates' +
        ' $(for p in docker-cli; do apt-cache policy "$p" | grep -q "Candidate: [0-9]" && echo "$p"; done)',
      'systemctl enable --now docker',
      'i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 60 ] && { echo "dockerd did not answer within 60s" >&2; exit 1; }; sleep 1; done',
      'u="$SUDO_USER"; [ -n "$u" ] || u="$(id -un)"; usermod -aG docker "$u"',
    ]);
    expect(steps.every((s) => s.sudo)).toBe(true);
    // The file's content goes on stdin, never in the command line (ps, --verbose, --dry-run show that).
    expect(steps[0]!.stdin).toBe(merged);
  });

  it('without systemd uses the init script and cgroupfs-mount', () => {
    const steps = dockerSteps('lab-1', { ...bare, serviceManager: 'sysv' }, needs);
    expect(steps[1]!.command).toContain('docker.io ca-certificates $(for p in docker-cli cgroupfs-mount; do apt-cache policy "$p" | grep -q "Candidate: [0-9]" && echo "$p"; done)');
    expect(steps[2]!.command).toBe('{ update-rc.d docker defaults >/dev/null 2>&1 || true; } && service docker start');
  });

  it("uses Docker's own packages where its apt repository is configured", () => {
    const steps = dockerSteps('pi-2', { ...bare, dockerAptRepo: true }, needs);
    expect(steps[1]!.command).toBe('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-ce docker-ce-cli containerd.io');
  });

  // [test name, daemon.json before, merge step, how it is applied, that step's command]
  it.each([
    [
      'applies a merge that only touches reloadable keys by SIGHUP',
      '{"log-driver":"journald"}',
      'merge /etc/docker/daemon.json (insecure-registries 10.0.0.11:5000)',
      'reload docker (picks up insecure-registries; running containers untouched)',
      'kill -HUP "$(cat /var/run/docker.pid)"',
    ],
    [
      'restarts dockerd, and says so, when log-opts change (SIGHUP does not apply them)',
      '{"debug":true}',
      'merge /etc/docker/daemon.json (insecure-registries 10.0.0.11:5000, log rotation)',
      'restart docker to apply /etc/docker/daemon.json (log-driver, log-opts not reloaded by SIGHUP): running containers restart',
      'systemctl restart docker',
    ],
  ])('%s', (_name, daemonJson, merge, apply, command) => {
    const steps = dockerSteps('pi-2', runningWith(daemonJson), needs);
    expect(steps.map((s) => s.title)).toEqual([merge, apply, 'wait for dockerd']);
    expect(steps[1]!.command).toBe(command);
  });

  it("records the user's original file before the first change, and keeps that first record", () => {
    const running = runningWith('{"debug":true}');
    const plan = dockerPlan('pi-2', running, needs, { state: emptyState('lab'), registryConfig: { IndexConfigs: {} } });
    expect(plan.steps[0]!.title).toBe('record the original /etc/docker/daemon.json in /var/lib/edgefaas/state.json');
    expect(JSON.parse(plan.steps[0]!.stdin!).files).toEqual({ '/etc/docker/daemon.json': { original: '{"debug":true}' } });
    expect(plan.state!.daemonJsonApplied).toBe(sha256(merged.replace('"insecure-registries"', '"debug": true,\n  "insecure-registries"')));
    const later = dockerPlan('pi-2', { ...running, daemonJson: merged }, { insecureRegistries: ['10.0.0.99:5000'] }, { state: plan.state!, registryConfig: { IndexConfigs: { '10.0.0.11:5000': { Secure: false } } } });
    expect(later.state!.files['/etc/docker/daemon.json']).toEqual({ original: '{"debug":true}' });
  });

  it('applies a file an interrupted run wrote but dockerd never picked up (docker info is what counts)', () => {
    const running = runningWith(merged);
    const state = { ...emptyState('lab'), files: { '/etc/docker/daemon.json': { original: null } } };
    const steps = dockerSteps('pi-2', running, needs, { state, registryConfig: { IndexConfigs: { 'docker.io': { Secure: true } } } });
    expect(steps.map((s) => s.title)).toEqual([
      'restart docker to apply /etc/docker/daemon.json (log-driver, log-opts not reloaded by SIGHUP): running containers restart',
      'wait for dockerd',
      'record that dockerd runs with /etc/docker/daemon.json in /var/lib/edgefaas/state.json',
    ]);
    // Once docker info shows the registry and the record says applied: nothing.
    const applied = { ...state, daemonJsonApplied: sha256(merged) };
    expect(dockerSteps('pi-2', running, needs, { state: applied, registryConfig: { IndexConfigs: { '10.0.0.11:5000': { Secure: false } } } })).toEqual([]);
  });

  it('plans nothing for a node that is already done', () => {
    const done = runningWith(merged);
    expect(dockerSteps('pi-2', done, needs)).toEqual([]);
  });

  it('refuses to install on an OS without apt, saying what to do', () => {
    expect(() => dockerSteps('box', { ...bare, os: 'fedora' }, needs)).toThrow(
      'box runs fedora, which edgefaas cannot install Docker on (it knows apt: Debian, Raspberry Pi OS, Ubuntu); install Docker on it by hand, then run: edgefaas up',
    );
  });
});
