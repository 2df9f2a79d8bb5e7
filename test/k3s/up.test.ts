import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onNode, startLab, type TestLab } from '../support/lab.ts';
import { runCli, tempDir } from '../cli/support.ts';
import { docker } from '../../kit/lab/docker-cli.ts';
import { PI_CMDLINE } from '../../kit/lab/lab.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * `edgefaas up` on k3s against two lab hosts modelling Raspberry Pi OS (lab up --pi: cmdline.txt,
 * memory cgroup off until it asks, reboot = the host restarts with its disk). k3s itself cannot run
 * here (no binary can be downloaded, no systemd): what is real is tested, that is everything up
 * does on the nodes before k3s starts, and every refusal that must change nothing.
 */
describe('edgefaas up on k3s (lab k3slab)', { timeout: 900_000 }, () => {
  let lab: TestLab;
  let cwd: string;
  let cluster: string;
  let env: Record<string, string>;
  let airgap: { binary: string; images: string; sums: string; binaryBytes: Buffer; imageBytes: Buffer };
  const untouched = async (i: number) =>
    onNode(lab, i, 'ls -d /etc/rancher /usr/local/bin/k3s /tmp/edgefaas-k3s-airgap /boot/firmware/cmdline.txt.edgefaas-backup 2>/dev/null; cat /boot/firmware/cmdline.txt');
  const cli = (args: string[], timeoutMs = 120_000) => runCli(['--config', cluster, ...args], { cwd, env, timeoutMs });

  beforeAll(async () => {
    lab = await startLab({ name: 'k3slab', subnet: '10.99.71.0/24', nodes: 2, pi: true });
    cwd = await tempDir('k3sup');
    env = { EDGEFAAS_HOME: lab.home };
    cluster = join(cwd, 'cluster.yaml');
    const pf = lab.info.files.passwordFile;
    const init = await runCli(
      ['init', '--yes', '--output', cluster, '--name', 'k3slab', '--orchestrator', 'k3s', '--manager', 'pi-1', '--registry', 'manager',
        '--node', `name=pi-1,address=${lab.info.nodes[0]!.address},user=pi,password-file=${pf}`,
        '--node', `name=pi-2,address=${lab.info.nodes[1]!.address},user=pi,password-file=${pf}`],
      { cwd, env },
    );
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain('OpenFaaS CE on k3s allows 15 functions and 5 replicas per function');
    // The user's airgap files, laid out as a k3s release publishes them (plus get.k3s.io as install.sh).
    const dir = join(cwd, 'airgap');
    await fs.mkdir(dir);
    const binaryBytes = await fs.readFile('/bin/true');
    const imageBytes = Buffer.from(`images ${Date.now()}`);
    airgap = { binary: join(dir, 'k3s'), images: join(dir, 'k3s-airgap-images-amd64.tar.zst'), sums: join(dir, 'sha256sum-amd64.txt'), binaryBytes, imageBytes };
    await fs.writeFile(airgap.binary, binaryBytes, { mode: 0o755 });
    await fs.writeFile(airgap.images, imageBytes);
    await fs.writeFile(airgap.sums, `${sha(binaryBytes)}  k3s\n${sha(imageBytes)}  k3s-airgap-images-amd64.tar.zst\n`);
    // What get.k3s.io's script does on a host with neither systemd nor openrc, as these lab hosts are.
    await fs.writeFile(join(dir, 'install.sh'), '#!/bin/sh\necho "[ERROR]  Can not find systemd or openrc to use as a process supervisor for k3s" >&2\nexit 1\n');
  });

  afterAll(async () => {
    await lab?.stop();
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('up --dry-run prints every command per node and changes nothing', async () => {
    const before = await Promise.all([0, 1].map(untouched));
    const r = await cli(['up', '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const [s1, s2] = lab.info.nodes.map((n) => n.address);
    // Pi cgroups: cmdline.txt gets the two arguments (backup kept), then a reboot; as k3s's docs say.
    for (const n of ['pi-1', 'pi-2']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[${n}\\] \\$ sudo sh -c '.*cp -p .*/boot/firmware/cmdline\\.txt.*sed -i .*cgroup_memory=1 cgroup_enable=memory`)));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[${n}\\] \\$ sudo sh -c 'nohup sh -c .*reboot`)));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[${n}\\] \\$ sudo sh -c '.*cat > .*/etc/rancher/k3s/config\\.yaml\\.edgefaas-tmp.*' <secret on stdin>$`)));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[${n}\\] \\$ sudo sh -c '.*/etc/rancher/k3s/registries\\.yaml`)));
    }
    // The install, as k3s's quick-start and k3sup run it: the official script, INSTALL_K3S_* only.
    expect(lines).toContain(`[pi-1] $ sudo sh -c 'curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION='\\''v1.33.5+k3s1'\\'' INSTALL_K3S_EXEC=server sh -s -'`);
    expect(lines).toContain(`[pi-2] $ sudo sh -c 'curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION='\\''v1.33.5+k3s1'\\'' INSTALL_K3S_EXEC=agent sh -s -'`);
    // Unlike k3sup's join (K3S_TOKEN=... on the command line), the token goes on stdin into a 0600 file.
    expect(lines).toContainEqual(expect.stringMatching(/^\[pi-2\] \$ sudo sh -c '.*cat > .*\/etc\/rancher\/k3s\/edgefaas-token\.edgefaas-tmp.*chmod 600.*' <secret on stdin>$/));
    expect(r.stdout).not.toMatch(/K3S_TOKEN|--token /);
    // The config files' contents are shown: node-ip/advertise-address from the resolved address, 0600 kubeconfig, arch label.
    expect(r.stdout).toContain(`[pi-1] /etc/rancher/k3s/config.yaml would be:`);
    expect(r.stdout).toMatch(new RegExp(`node-ip: ${s1!.replace(/\./g, '\\.')}\\n\\s+node-label:\\n\\s+- edgefaas.node=pi-1\\n\\s+- edgefaas.arch=x86_64`));
    expect(r.stdout).toContain(`advertise-address: ${s1}`);
    expect(r.stdout).toContain('write-kubeconfig-mode: "0600"');
    expect(r.stdout).toContain(`server: https://${s1}:6443`);
    expect(r.stdout).toContain(`node-ip: ${s2}`);
    expect(r.stdout).toContain(`    mirrors:\n      ${s1}:5000:\n        endpoint:\n          - http://${s1}:5000`);
    // Then the kubeconfig and OpenFaaS CE, object by object.
    expect(r.stdout).toMatch(/would fetch \/etc\/rancher\/k3s\/k3s\.yaml, point it at https:\/\/10\.99\.71\.11:6443 and merge it into .*\.kube\/config as context edgefaas-k3slab/);
    for (const o of ['Namespace openfaas', 'Namespace openfaas-fn', 'Secret openfaas/basic-auth', 'Deployment openfaas/gateway', 'Deployment openfaas/nats',
      'Deployment openfaas/queue-worker', 'Deployment openfaas/prometheus', 'Deployment openfaas/alertmanager', 'Service openfaas/gateway-external']) {
      expect(lines).toContain(`[pi-1] would apply (server-side, field manager edgefaas): ${o}`);
    }
    expect(lines.filter(Boolean).at(-1)).toBe('dry run: nothing was changed (the commands above are what up would run)');
    expect(await Promise.all([0, 1].map(untouched))).toEqual(before);
  });

  it('up with a k3s binary path that does not exist fails at once, naming it, and changes nothing', async () => {
    const before = await Promise.all([0, 1].map(untouched));
    const r = await cli(['up', '--yes', '--k3s-binary', join(cwd, 'nowhere', 'k3s'), '--k3s-images', airgap.images, '--k3s-sha256', airgap.sums]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`edgefaas: --k3s-binary ${join(cwd, 'nowhere', 'k3s')}: no such file (the k3s binary); nothing was changed`);
    expect(await Promise.all([0, 1].map(untouched))).toEqual(before);
  });

  it('up with an images tarball whose sha256 differs from the user\'s sha256 file refuses and changes nothing', async () => {
    const before = await Promise.all([0, 1].map(untouched));
    const other = join(cwd, 'airgap', 'k3s-airgap-images-amd64.tar.zst.other');
    await fs.writeFile(join(cwd, 'airgap', 'tampered.txt'), `${sha(airgap.binaryBytes)}  k3s\n${sha(Buffer.from('something else'))}  k3s-airgap-images-amd64.tar.zst\n`);
    const r = await cli(['up', '--yes', '--k3s-binary', airgap.binary, '--k3s-images', airgap.images, '--k3s-sha256', join(cwd, 'airgap', 'tampered.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/k3s-airgap-images-amd64\.tar\.zst: sha256 [0-9a-f]{64} does not match [0-9a-f]{64} in .*tampered\.txt; download it again; nothing was changed/);
    expect(await Promise.all([0, 1].map(untouched))).toEqual(before);
    await rm(other, { force: true });
  });

  it('without --yes, up refuses the reboot the memory cgroup needs, before changing anything', async () => {
    const before = await Promise.all([0, 1].map(untouched));
    const r = await cli(['up', '--k3s-binary', airgap.binary, '--k3s-images', airgap.images, '--k3s-sha256', airgap.sums]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pi-1: the memory cgroup is off; up adds cgroup_memory=1 cgroup_enable=memory to /boot/firmware/cmdline.txt and reboots the node: run: edgefaas up --yes');
    expect(r.stderr).toContain('nothing was changed');
    expect(await Promise.all([0, 1].map(untouched))).toEqual(before);
  });

  it('up --yes (airgap): cmdline.txt changed with a backup, the hosts rebooted and came back with the memory cgroup, files uploaded and checked, config written; k3s\'s own install then fails here', async () => {
    const restarts = async () => Promise.all(lab.info.nodes.map(async (n) => Number((await docker(['inspect', n.container, '--format', '{{.RestartCount}}'])).stdout.trim())));
    const restartsBefore = await restarts();
    const r = await cli(['up', '--yes', '--k3s-binary', airgap.binary, '--k3s-images', airgap.images, '--k3s-sha256', airgap.sums], 600_000);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('Can not find systemd or openrc to use as a process supervisor for k3s');
    expect(r.stdout + r.stderr).toMatch(/pi-2: not joined: the first server pi-1 is not ready/);
    // Each host rebooted once (Docker restarted it) and its kernel now has the memory cgroup.
    expect((await restarts()).map((n, i) => n - restartsBefore[i]!)).toEqual([1, 1]);
    for (const i of [0, 1]) {
      expect((await onNode(lab, i, "awk '$1==\"memory\"{print $4}' /proc/cgroups")).trim()).toBe('1');
      // One line, the two arguments appended, nothing else changed; the original kept.
      expect(await onNode(lab, i, 'cat /boot/firmware/cmdline.txt')).toBe(`${PI_CMDLINE.trimEnd()} cgroup_memory=1 cgroup_enable=memory\n`);
      expect(await onNode(lab, i, 'cat /boot/firmware/cmdline.txt.edgefaas-backup')).toBe(PI_CMDLINE);
      // The airgap files, where k3s-ansible puts them, with the digests the user's file lists.
      expect(await onNode(lab, i, 'sha256sum /usr/local/bin/k3s /var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst; stat -c %a /usr/local/bin/k3s')).toBe(
        `${sha(airgap.binaryBytes)}  /usr/local/bin/k3s\n${sha(airgap.imageBytes)}  /var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst\n755\n`,
      );
      expect((await onNode(lab, i, 'stat -c %a /etc/rancher/k3s/config.yaml /etc/rancher/k3s/registries.yaml')).trim().split('\n')).toEqual(['600', '600']);
    }
    const c1 = await onNode(lab, 0, 'cat /etc/rancher/k3s/config.yaml');
    expect(c1).toContain(`node-ip: ${lab.info.nodes[0]!.address}`);
    expect(c1).toContain(`advertise-address: ${lab.info.nodes[0]!.address}`);
    const c2 = await onNode(lab, 1, 'cat /etc/rancher/k3s/config.yaml');
    expect(c2).toContain(`server: https://${lab.info.nodes[0]!.address}:6443`);
    expect(c2).toContain('token-file: /etc/rancher/k3s/edgefaas-token');
    expect(await onNode(lab, 1, 'cat /etc/rancher/k3s/registries.yaml')).toContain(`- http://${lab.info.nodes[0]!.address}:5000`);

    // A second run finds all that in place: no reboot, no upload, no rewrite; the same install failure.
    const again = await cli(['up', '--yes', '--k3s-binary', airgap.binary, '--k3s-images', airgap.images, '--k3s-sha256', airgap.sums], 600_000);
    expect(again.code).toBe(1);
    expect((await restarts()).map((n, i) => n - restartsBefore[i]!)).toEqual([1, 1]);
    expect(again.stdout + again.stderr).not.toMatch(/upload .* over SFTP|write \/etc\/rancher\/k3s\/config\.yaml|add cgroup_memory/);
  });
});
