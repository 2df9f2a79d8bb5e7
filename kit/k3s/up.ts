import { failNode, phaseOver, runOutcome, stepsOn, type NodeRun } from '../plan/node-steps.ts';
import { waitForGateway } from '../openfaas/wait.ts';
import { resolvedAddress } from '../nodes/address.ts';
import type { UpDeps, UpResult } from '../orchestrator/contract.ts';
import { gatewayUrl, keptOrNewPassword } from '../openfaas/credentials.ts';
import { describeObjects, renderOpenfaasK8s } from '../openfaas/k8s-manifests.ts';
import { applyAndWait } from '../openfaas/k8s-apply.ts';
import { airgapPresentStep, airgapTargets, AIRGAP_SCRIPT, AIRGAP_STAGE, checkAirgap, placeAirgapStep, type CheckedAirgap } from './airgap.ts';
import { renderK3sConfig, renderRegistries, type NodeRoleInCluster } from './config.ts';
import { contextName, kubeconfigPath, mergeKubeconfig, rewriteK3sKubeconfig } from './kubeconfig.ts';
import { parseK3sFacts, probeK3sStep, type K3sFacts } from './probe.ts';
import {
  cmdlineStep,
  installStep,
  missingCgroupArgs,
  readKubeconfigStep,
  readTokenStep,
  rebootStep,
  waitNodeReadyStep,
  writeFileStep,
} from './steps.ts';
import { K3S_CONFIG, K3S_KUBECONFIG, K3S_REGISTRIES, K3S_TOKEN_FILE, K3S_VERSION } from './version.ts';

export class K3sUpError extends Error {
  override name = 'K3sUpError';
}

interface NodeState extends NodeRun {
  kind: NodeRoleInCluster['kind'];
  facts?: K3sFacts;
  /** The node's address as this machine resolves it (kit/nodes/address.ts). */
  address?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `edgefaas up` on k3s: check the user's airgap files here, probe every node (read-only), refuse
 * before any change what cannot work, then converge: cgroups (reboot with --yes), airgap files,
 * config.yaml and registries.yaml, the first server, further servers one by one (embedded etcd),
 * agents in parallel; then the kubeconfig merged here and OpenFaaS CE applied server-side.
 */
export async function k3sUp(d: UpDeps): Promise<UpResult> {
  const { spec } = d;
  // Before any connection: a missing or wrong airgap file changes nothing anywhere.
  let airgap: CheckedAirgap | undefined = d.airgap ? await checkAirgap(d.airgap) : undefined;
  const servers = spec.nodes.filter((n) => n.role === 'manager');
  const states = spec.nodes.map(
    (n): NodeState => ({ spec: n, kind: n === servers[0] ? 'first-server' : n.role === 'manager' ? 'server' : 'agent', changes: [] }),
  );
  const first = states.find((s) => s.kind === 'first-server')!;
  const notes: string[] = [];
  const fail = (s: NodeState, e: unknown) => failNode(d, s, e);
  const right = (s: NodeState, title: string) => d.progress?.done(s.spec.name, title, 'unchanged');
  const run = stepsOn(d);
  const probe = async (s: NodeState) => {
    const [out] = await run(s, [probeK3sStep()]);
    s.facts = parseK3sFacts(out ?? '');
  };
  const phase = phaseOver(d, spec.ssh.concurrency);
  const addrOf = (s: NodeState) => s.address ?? s.spec.address;

  // 1. connect and probe (read-only, also under --dry-run)
  await phase(states, async (s) => {
    d.progress?.start(s.spec.name, 'connect and look around (read-only)');
    s.runner = await d.runner(s.spec);
    await probe(s);
    s.address = (await resolvedAddress(s.spec, { ...d.resolve, runner: async () => s.runner! })).ip;
    right(s, 'connect and look around (read-only)');
  });

  // 2. refuse, before any change, what cannot work
  const problems: string[] = [];
  if (airgap) {
    airgap = await checkAirgap(d.airgap!, states.filter((s) => s.facts).map((s) => ({ node: s.spec.name, arch: s.facts!.arch })));
  }
  for (const s of states.filter((x) => x.facts)) {
    const f = s.facts!;
    if (!airgap && !f.curl && !f.k3sVersion) problems.push(`${s.spec.name}: no curl to fetch ${'https://get.k3s.io'}; install curl there, or give --k3s-binary/--k3s-images/--k3s-sha256 (airgap)`);
    if (!f.memoryCgroup) {
      if (!f.cmdlineFile) problems.push(`${s.spec.name}: the kernel has the memory cgroup off and there is no /boot/firmware/cmdline.txt or /boot/cmdline.txt; turn it on in the boot loader (cgroup_memory=1 cgroup_enable=memory)`);
      else if (!missingCgroupArgs(f.cmdline).length) problems.push(`${s.spec.name}: ${f.cmdlineFile} has ${'cgroup_memory=1 cgroup_enable=memory'} but the running kernel has the memory cgroup off; reboot it, then run: edgefaas up`);
      else if (!d.yes && !d.dryRun) problems.push(`${s.spec.name}: the memory cgroup is off; up adds cgroup_memory=1 cgroup_enable=memory to ${f.cmdlineFile} and reboots the node: run: edgefaas up --yes`);
    }
  }
  if (problems.length) throw new K3sUpError(`nothing was changed:\n  ${problems.join('\n  ')}`);

  // 3. each node's own preparation: cgroups (+ reboot), airgap files, config files
  const firstAddr = () => addrOf(first);
  const registries = () => renderRegistries(spec, firstAddr());
  const writeIfChanged = async (s: NodeState, path: string, want: string, have: string, what: string) => {
    if (have === want) return right(s, what);
    if (d.dryRun) d.log(`[${s.spec.name}] ${path} would be:\n${want.trimEnd().replace(/^/gm, '    ')}`);
    await run(s, [writeFileStep(what, path, want, 0o600)]);
    return 'changed' as const;
  };
  const rebootAndWait = async (s: NodeState) => {
    await run(s, [rebootStep()]);
    if (d.dryRun) return;
    const title = 'wait for the node to come back over SSH';
    d.progress?.start(s.spec.name, title);
    // The old connection drops when the node goes down; then a new one is tried until it answers.
    const down = Date.now() + 120_000;
    while (Date.now() < down) {
      const r = await s.runner!.exec('true', { timeoutMs: 5000 }).catch(() => undefined);
      if (!r || r.code !== 0) break;
      await sleep(1000);
    }
    const up = Date.now() + 600_000;
    let last = '';
    for (;;) {
      try {
        s.runner = await (d.reconnect ?? d.runner)(s.spec);
        const r = await s.runner.exec('true', { timeoutMs: 10_000 });
        if (r.code === 0) break;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > up) throw new K3sUpError(`${s.spec.name} did not come back over SSH within 10 minutes after the reboot (${last}); check it, then run: edgefaas up`);
      await sleep(3000);
    }
    d.progress?.done(s.spec.name, title, 'changed');
  };
  const configChanged = new Set<NodeState>();
  const prepare = async (s: NodeState) => {
    const f = s.facts!;
    if (!f.memoryCgroup) {
      await run(s, [cmdlineStep(f.cmdlineFile, missingCgroupArgs(f.cmdline))]);
      await rebootAndWait(s);
      if (!d.dryRun) {
        await probe(s);
        if (!s.facts!.memoryCgroup) throw new K3sUpError(`${s.spec.name}: rebooted with ${f.cmdlineFile} changed but the memory cgroup is still off; check the boot partition, then run: edgefaas up`);
      }
    } else right(s, 'memory cgroup on');
    if (airgap) {
      const [have] = await run(s, [airgapPresentStep(airgap)]);
      const present = new Set((have ?? '').split('\n').map((l) => l.trim()).filter(Boolean));
      const todo = airgapTargets(airgap).filter((t) => !present.has(`${t.sha256}  ${t.target}`));
      if (!todo.length) right(s, 'airgap k3s binary and images in place');
      for (const t of todo) {
        const title = `upload ${t.local} over SFTP`;
        d.progress ? d.progress.start(s.spec.name, title) : d.log(`[${s.spec.name}] ${title}`);
        await s.runner!.exec(`install -d -m 700 ${AIRGAP_STAGE}`, {});
        await s.runner!.upload(t.local, t.staged, 0o600);
        d.progress?.done(s.spec.name, title, 'changed');
        s.changes.push(title);
        await run(s, [placeAirgapStep(t)]);
      }
      await s.runner!.upload(airgap.script, AIRGAP_SCRIPT, 0o700);
    }
    const reg = registries();
    const me: NodeRoleInCluster = { node: s.spec, address: addrOf(s), arch: s.facts!.arch, kind: s.kind };
    const a = reg ? await writeIfChanged(s, K3S_REGISTRIES, reg, f.registriesYaml, `write ${K3S_REGISTRIES}`) : undefined;
    const b = await writeIfChanged(s, K3S_CONFIG, renderK3sConfig(spec, me, { address: firstAddr() }, servers.length), f.configYaml, `write ${K3S_CONFIG}`);
    if (a === 'changed' || b === 'changed') configChanged.add(s);
  };
  const needsInstall = (s: NodeState) => {
    const f = s.facts!;
    const active = s.kind === 'agent' ? f.agentActive : f.serverActive;
    return configChanged.has(s) || !active || f.k3sVersion !== K3S_VERSION;
  };
  const install = async (s: NodeState) => {
    if (!needsInstall(s)) return right(s, `k3s ${K3S_VERSION} running`);
    await run(s, [installStep(s.kind === 'agent' ? 'agent' : 'server', airgap ? AIRGAP_SCRIPT : undefined)]);
  };

  // 4. first server, then the token for the others
  let token: Promise<string> | undefined;
  const joinToken = () =>
    (token ??= (async () => {
      if (d.dryRun && !first.facts!.hasServerToken) return '<join token read from the first server>';
      const [out] = await run(first, [{ ...readTokenStep(), readOnly: first.facts!.hasServerToken }]);
      const t = (out ?? '').trim();
      if (!d.dryRun && !t) throw new K3sUpError(`${first.spec.name}: empty join token`);
      d.secrets?.add(t);
      return t;
    })());
  const firstChain = async () => {
    if (first.error) throw first.error;
    await install(first);
    await run(first, [waitNodeReadyStep(first.spec.name)]);
  };
  const joinerChain = async (s: NodeState) => {
    const t = await joinToken();
    const [same] = d.dryRun && t.startsWith('<') ? [''] : await run(s, [{ title: 'join token in place?', command: `cmp -s - ${K3S_TOKEN_FILE} && echo same || true`, sudo: true, stdin: `${t}\n`, readOnly: true }]);
    if (same?.trim() === 'same') right(s, 'join token file');
    else {
      await run(s, [writeFileStep(`write the join token to ${K3S_TOKEN_FILE} (0600)`, K3S_TOKEN_FILE, `${t}\n`, 0o600)]);
      configChanged.add(s);
    }
    await install(s);
  };

  // Every node prepares at once (cgroups and reboots, airgap files, config files); then the first
  // server starts, further servers join one at a time (embedded etcd) and agents in parallel.
  await phase(states.filter((s) => !s.error), prepare);
  let firstOk = false;
  try {
    await firstChain();
    firstOk = true;
  } catch (e) {
    fail(first, e);
  }
  const joiners = states.filter((s) => s !== first && !s.error);
  if (!firstOk) for (const s of joiners) fail(s, new K3sUpError(`${s.spec.name}: not joined: the first server ${first.spec.name} is not ready (see its error); fix it, then run: edgefaas up`));
  else {
    for (const s of joiners.filter((x) => x.kind === 'server')) await phase([s], joinerChain);
    await phase(joiners.filter((x) => x.kind === 'agent'), joinerChain);
    for (const s of joiners.filter((x) => !x.error)) {
      await run(first, [waitNodeReadyStep(s.spec.name)], s).catch((e) => fail(s, e));
    }
  }

  // 5. kubeconfig here, then OpenFaaS CE
  const url = gatewayUrl(spec, firstAddr());
  if (firstOk) {
    try {
      await openfaas();
    } catch (e) {
      fail(first, e);
    }
  }

  async function openfaas() {
    const kubePath = kubeconfigPath(d.env);
    const ctx = contextName(spec.name);
    let kubeconfig: string | undefined;
    if (d.dryRun && !first.facts!.serverActive) {
      d.log(`[${first.spec.name}] would fetch ${K3S_KUBECONFIG}, point it at https://${firstAddr()}:6443 and merge it into ${kubePath} as context ${ctx} (0600, old file kept as ${kubePath}.edgefaas-backup)`);
    } else {
      const [raw] = await run(first, [{ ...readKubeconfigStep(K3S_KUBECONFIG), readOnly: true }]);
      const ours = rewriteK3sKubeconfig(raw ?? '', spec.name, firstAddr());
      kubeconfig = JSON.stringify(ours);
      if (d.dryRun) d.log(`would merge the kubeconfig into ${kubePath} as context ${ctx}`);
      else {
        const m = await mergeKubeconfig(ours, kubePath);
        if (m.status !== 'unchanged') first.changes.push(`kubeconfig context ${ctx} in ${kubePath}`);
        d.log(`kubeconfig: context ${ctx} in ${kubePath} (${m.status}${m.backup ? `, previous file kept as ${m.backup}` : ''})`);
      }
    }
    const { password } = await keptOrNewPassword(d.passwordFile, { what: 'gateway password', dryRun: d.dryRun, log: d.log });
    d.secrets?.add(password);
    const objects = renderOpenfaasK8s({
      password,
      gatewayPort: spec.gateway.port,
      registryPort: spec.registry.mode === 'manager' ? spec.registry.port : undefined,
      images: spec.openfaas?.images,
    });
    if (d.dryRun) {
      for (const line of describeObjects(objects)) d.log(`[${first.spec.name}] would apply (server-side, field manager edgefaas): ${line}`);
      return;
    }
    const title = `apply OpenFaaS CE (${objects.length} objects) and wait for its rollouts`;
    d.progress ? d.progress.start(first.spec.name, title) : d.log(`[${first.spec.name}] ${title}`);
    await applyAndWait(kubeconfig!, objects, { log: (l) => !d.progress && d.log(l), waitMs: d.gatewayWaitMs, context: ctx });
    d.progress?.done(first.spec.name, title, 'changed');
    await waitForGateway(url, password, { auth: spec.gateway.auth, waitMs: d.gatewayWaitMs, fetch: d.fetch, hint: `kubectl --context ${ctx} -n openfaas get pods` });
  }

  if (airgap) notes.push(`airgap: k3s from ${airgap.binary.path} (sha256 ${airgap.binary.sha256.slice(0, 12)}…), images from ${airgap.images.path}`);
  return { ...runOutcome(states), gatewayUrl: url, notes };
}
