import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { BasicAuth } from '../http/request.ts';
import { LAN_REGISTRY_USER, readRegistryCa } from '../images/registry-access.ts';
import type { Runner, Step } from '../plan/types.ts';
import { failNode, phaseOver, probeAll, runOutcome, stepsOn, type NodeRun } from '../plan/node-steps.ts';
import type { UpDeps, UpResult } from '../orchestrator/contract.ts';
import { parseDockerFacts, probeDockerStep, type DockerFacts } from '../docker/facts.ts';
import { dockerPlan } from '../docker/install.ts';
import { PROVIDER_API_PIN, providerApiVersion } from '../docker/api-version.ts';
import { DEFAULT_REGISTRY_IMAGE } from '../openfaas/swarm-stack-images.ts';
import { createSecretSteps, deployStackSteps, renderSwarmStack, STACK_HASH_LABEL, STACK_NAME } from '../openfaas/swarm-stack.ts';
import { checkManagerCount, membershipOf } from './membership.ts';
import { labelStep, parseJoinTokens, promoteStep, readJoinTokensStep, swarmInitStep, swarmJoinStep } from './steps.ts';
import {
  createHtpasswdSecretStep, htpasswdLine, parseRegistryTrust, REGISTRY_HTPASSWD_SECRET, REGISTRY_SERVICE, registryAddAuthStep, registryCaStep,
  registryLoginStep, registryServiceStep, registryTrustProbeStep, waitForRegistryStep,
} from './registry.ts';
import { gatewayUrl, keptOrNewPassword } from '../openfaas/credentials.ts';
import { sideloadImages } from './sideload.ts';
import { noImageReason } from '../nodes/arch.ts';
import { shq } from '../docker/shell.ts';
import type { NodeStateFile } from '../nodes/state.ts';
import { lockedAdvice, ownershipProbeStep, parseOwnership, stateSteps, swarmVerdict, type OwnedFacts, type SwarmVerdict } from './ownership.ts';
import { agreeOnAddresses, behindJumpMessage, hostPort } from '../nodes/address.ts';
import { waitForGatewayReady } from './gateway-ready.ts';

export interface SwarmUpDeps extends UpDeps {
  /** The LAN registry's password (0600); default: registry-password beside passwordFile. */
  registryPasswordFile?: string;
  sideload?(images: string[], runner: Runner): Promise<void>;
}

export interface SwarmUpResult extends UpResult {
  ipvs: boolean;
}

interface NodeState extends NodeRun {
  facts?: DockerFacts;
  /** What edgefaas made on the node (kit/swarm/ownership.ts). */
  own?: OwnedFacts;
}

export class UpError extends Error {
  override name = 'UpError';
}

/**
 * `edgefaas up` on Docker Swarm: probe every node (read-only), then converge with plans of Steps
 * built from the probed facts. The first manager's chain (Docker, swarm init, images, registry,
 * secrets, the OpenFaaS stack, wait for the gateway) runs beside each other node's (Docker, then
 * join once the swarm exists, then labels). A node that fails is reported; the others carry on.
 * Nothing needed = nothing run.
 */
export async function swarmUp(d: SwarmUpDeps): Promise<SwarmUpResult> {
  const { spec } = d;
  checkManagerCount(spec.nodes);
  const states = spec.nodes.map((n): NodeState => ({ spec: n, changes: [] }));
  const gw = states.find((s) => s.spec.role === 'manager')!;
  const notes: string[] = [];
  const alive = () => states.filter((s) => !s.error);
  const fail = (s: NodeState, e: unknown) => failNode(d, s, e);
  /** Found already right: nothing run (a row in the progress summary). */
  const right = (s: NodeState, title: string) => d.progress?.done(s.spec.name, title, 'unchanged');
  /** Runs steps on `s`; the optional third argument is the node they are about (labels and promotion run on the manager). */
  const run = stepsOn(d);
  const probe = async (s: NodeState) => {
    const [out] = await run(s, [probeDockerStep()]);
    s.facts = parseDockerFacts(out ?? '');
  };
  const phase = phaseOver(d, spec.ssh.concurrency);

  // 1. connect and probe (read-only, also under --dry-run)
  await probeAll(d, phase, states, probeDockerStep(), parseDockerFacts);

  // No image runs on ARMv6 (Pi Zero, Pi 1): refuse those nodes before anything is installed.
  for (const s of alive()) if (s.facts!.arch === 'armv6l') fail(s, new UpError(noImageReason(s.spec.name, s.facts!.arch, s.facts!.userland)));

  // 2. one address per node, the same for advertise, registry, image names and gateway URL
  const addresses = new Map<string, string>();
  let managerBehindJump = false;
  if (!gw.error) {
    const agreed = await agreeOnAddresses(alive().map((s) => s.spec), { spec: gw.spec, runner: gw.runner! }, { ...d.resolve, runnerOf: d.runner });
    for (const s of alive()) {
      const r = agreed.get(s.spec.name)!;
      if (r instanceof Error) fail(s, r);
      else addresses.set(s.spec.name, r.ip);
      if (s === gw && !(r instanceof Error)) managerBehindJump = r.behindJump;
    }
  }
  // --- ownership (kit/swarm/ownership.ts): read what edgefaas made, refuse before anything changes ---
  await phase(alive(), async (s) => {
    const [out] = await run(s, [ownershipProbeStep()]);
    s.own = parseOwnership(out ?? '', spec.name, s.spec.name);
  });
  /** Saves the node's record when it changed (a step of its own: it is a change on the node). */
  const persist = async (s: NodeState, next: NodeStateFile, why: string) => {
    const steps = stateSteps(s.own!.state, next, why);
    if (steps.length) await run(s, steps);
    s.own!.state = next;
  };
  let verdict: SwarmVerdict = { kind: 'none' };
  let refused = false;
  if (!gw.error) {
    try {
      verdict = swarmVerdict({ spec, node: gw.spec, facts: gw.facts!, own: gw.own!, adopt: !!d.adopt });
      if (verdict.kind === 'ours' && verdict.note) notes.push(verdict.note);
    } catch (e) {
      refused = true;
      fail(gw, e);
      for (const s of states.filter((x) => x !== gw)) fail(s, new UpError(`${s.spec.name}: nothing changed: the first manager ${gw.spec.name} refused (see its error)`));
    }
  }
  for (const s of alive().filter((x) => x !== gw && x.facts!.swarm.state === 'locked')) fail(s, lockedAdvice(s.spec, 'up'));
  // --- end ownership ---

  const addrOf = (s: NodeState) => addresses.get(s.spec.name) ?? s.spec.address;
  const gatewayAt = gatewayUrl(spec, addrOf(gw));
  const registryPort = spec.registry.mode === 'manager' ? spec.registry.port : 0;
  const registryAddr =
    spec.registry.mode === 'manager' ? hostPort(addrOf(gw), spec.registry.port) : spec.registry.mode === 'external' ? spec.registry.address.split('/')[0] : undefined;

  // The registry as every node must see it: the LAN one plain HTTP (insecure-registries) with basic
  // auth, an external one over verified HTTPS (its private CA in certs.d) unless cluster.yaml says insecure.
  const lan = spec.registry.mode === 'manager' ? spec.registry : undefined;
  const external = spec.registry.mode === 'external' ? spec.registry : undefined;
  const externalCa = external?.ca ? await readRegistryCa(external.ca) : undefined;
  const insecureRegistries = registryAddr && (lan || external?.insecure) ? [registryAddr] : [];
  let lanLoginReady!: (login: BasicAuth | undefined) => void;
  const lanLogin = new Promise<BasicAuth | undefined>((r) => (lanLoginReady = r));
  const registryPasswordFile = d.registryPasswordFile ?? join(dirname(d.passwordFile), 'registry-password');
  if (!lan?.auth) lanLoginReady(undefined);

  const ipvs = alive().every((s) => s.facts!.ipvs);
  if (!ipvs) {
    const without = states.filter((s) => s.facts && !s.facts.ipvs).map((s) => s.spec.name);
    notes.push(`no IPVS on ${without.join(', ')}: services use --endpoint-mode dnsrr and host-mode published ports (no routing mesh), and the gateway calls functions through faas-swarm, which finds their tasks by DNS (tasks.NAME)`);
  }

  // Docker on one node: install where missing, merge daemon.json, start, docker group.
  const dockerOn = async (s: NodeState) => {
    const plan = dockerPlan(s.spec.name, s.facts!, { insecureRegistries }, { state: s.own!.state, registryConfig: s.own!.registryConfig });
    const steps = plan.steps;
    if (!steps.length) right(s, 'Docker installed, configured and running');
    else {
      await run(s, steps);
      if (plan.state) s.own!.state = plan.state;
      if (d.dryRun) s.facts = { ...s.facts!, dockerInstalled: true, dockerRunning: true };
      else await probe(s);
    }
    if (externalCa) await registryTrustOn(s, { ca: externalCa.pem });
  };
  /** The registry's CA in certs.d and root's docker login, each only where it is not already so. */
  const registryTrustOn = async (s: NodeState, want: { ca?: string; login?: BasicAuth }) => {
    const expected = want.login ? Buffer.from(`${want.login.username}:${want.login.password}`).toString('base64') : '';
    const [out] = await run(s, [{ ...registryTrustProbeStep(registryAddr!), stdin: expected }]);
    const have = parseRegistryTrust(out ?? '');
    const steps: Step[] = [];
    if (want.ca && have.caSha256 !== createHash('sha256').update(want.ca).digest('hex')) steps.push(registryCaStep(registryAddr!, want.ca));
    if (want.login && !have.loggedIn) steps.push(registryLoginStep(registryAddr!, want.login.username, want.login.password));
    if (steps.length) await run(s, steps);
    else right(s, want.login ? `logged in to registry ${registryAddr}` : `registry ${registryAddr} CA trusted`);
  };
  const labelsFor = (s: NodeState): Step[] => {
    const id = s.facts!.swarm.nodeId || `<swarm node id of ${s.spec.name}>`;
    const want: Record<string, string> = {
      'edgefaas.node': s.spec.name,
      'edgefaas.arch': s.facts!.arch,
      'edgefaas.role': s.spec.role,
      ...(s === gw ? { 'edgefaas.gateway': 'true' } : {}),
      ...s.spec.labels,
    };
    const have = gw.facts!.manager?.nodes.find((n) => n.id === id)?.labels ?? {};
    const missing = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
    return Object.keys(missing).length ? [labelStep(id, s.spec.name, missing)] : [];
  };

  const labels = async (s: NodeState) => {
    const steps = labelsFor(s);
    if (steps.length) await run(gw, steps, s);
    else right(s, 'node labels');
  };

  // The manager's chain and each worker's run side by side: workers install Docker while the
  // manager inits the swarm, loads images and starts the registry; each joins once init is done.
  let swarmReady!: (ok: boolean) => void;
  const initialised = new Promise<boolean>((r) => (swarmReady = r));
  let tokens: Promise<{ worker: string; manager: string }> | undefined;
  const joinTokens = () =>
    (tokens ??=
      d.dryRun && gw.facts!.swarm.state !== 'active'
        ? Promise.resolve({ worker: '<worker join token>', manager: '<manager join token>' })
        : run(gw, [readJoinTokensStep()]).then(([out]) => {
            const t = parseJoinTokens(out ?? '');
            d.secrets?.add(t.worker);
            d.secrets?.add(t.manager);
            return t;
          }));
  let managerJoins = Promise.resolve();

  const managerChain = async () => {
    try {
      if (gw.error) {
        lanLoginReady(undefined);
        throw gw.error;
      }
      await dockerOn(gw);
      const f = gw.facts!;
      if (verdict.kind === 'none') {
        await run(gw, [swarmInitStep(addrOf(gw))]);
        if (!d.dryRun) await probe(gw);
        await persist(gw, { ...gw.own!.state, swarm: { clusterId: gw.facts!.swarm.clusterId || '<new swarm>', how: 'created' } }, 'the swarm edgefaas created');
      } else {
        // Only the swarm part of the verdict's record: dockerOn may have recorded daemon.json since.
        if (verdict.record) await persist(gw, { ...gw.own!.state, swarm: verdict.record.swarm }, verdict.how === 'adopted' ? 'the swarm adopted with --adopt' : 'the swarm edgefaas created');
        if (f.swarm.isManager) right(gw, 'swarm manager');
      }
      await labels(gw);
      swarmReady(true);
    } catch (e) {
      fail(gw, e);
      swarmReady(false);
      lanLoginReady(undefined);
      return;
    }
    try {
      await openfaasOnManager();
    } catch (e) {
      fail(gw, e);
    } finally {
      lanLoginReady(undefined);
    }
  };

  /** The LAN registry's password: generated once, 0600 here, an htpasswd Swarm secret there. */
  const lanRegistryPassword = async (secrets: string[]): Promise<string> => {
    const refuse = secrets.includes(REGISTRY_HTPASSWD_SECRET)
      ? new UpError(
          `the swarm on ${gw.spec.name} has secret ${REGISTRY_HTPASSWD_SECRET} but this machine has no ${registryPasswordFile}; copy it (mode 0600) from the machine that ran up first, or run: edgefaas down, then edgefaas up`,
        )
      : undefined;
    return (await keptOrNewPassword(registryPasswordFile, { what: 'LAN registry password', dryRun: d.dryRun, log: d.log, refuse })).password;
  };

  const lanRegistryOnManager = async (services: string[], secrets: string[]) => {
    if (!lan) return;
    const login = lan.auth ? { username: LAN_REGISTRY_USER, password: await lanRegistryPassword(secrets) } : undefined;
    const secretSteps = login && !secrets.includes(REGISTRY_HTPASSWD_SECRET) ? [createHtpasswdSecretStep(htpasswdLine(login.username, login.password))] : [];
    if (!services.includes(REGISTRY_SERVICE)) {
      const image = spec.openfaas?.images.registry ?? DEFAULT_REGISTRY_IMAGE;
      await run(gw, [...secretSteps, registryServiceStep({ image, port: registryPort, ipvs, auth: lan.auth })]);
      await persist(gw, { ...gw.own!.state, services: [...new Set([...gw.own!.state.services, REGISTRY_SERVICE])] }, `service ${REGISTRY_SERVICE}`);
      await run(gw, [waitForRegistryStep(addrOf(gw), registryPort)]);
    } else {
      const [out] = lan.auth ? await run(gw, [registryTrustProbeStep(registryAddr!)]) : [''];
      if (lan.auth && !parseRegistryTrust(out ?? '').serviceAuth) await run(gw, [...secretSteps, registryAddAuthStep(), waitForRegistryStep(addrOf(gw), registryPort)]);
      else {
        if (secretSteps.length) await run(gw, secretSteps);
        right(gw, 'LAN registry service');
      }
    }
    lanLoginReady(login);
    if (login) await registryTrustOn(gw, { login });
  };

  const workerChain = async (s: NodeState) => {
    try {
      if (s.error) return;
      await dockerOn(s);
      if (!(await initialised)) {
        throw new UpError(`${s.spec.name}: not joined: the first manager ${gw.spec.name} is not ready (see its error); fix it, then run: edgefaas up`);
      }
      const m = membershipOf(s.spec, s.facts!, gw.facts!.manager);
      if (m.kind === 'join') {
        const join = async () => {
          const t = await joinTokens();
          await run(s, [swarmJoinStep({ role: s.spec.role, managerAddr: addrOf(gw), advertiseAddr: addrOf(s), token: t[s.spec.role] })]);
          if (!d.dryRun) await probe(s);
          await persist(s, { ...s.own!.state, swarm: { clusterId: gw.facts!.swarm.clusterId, how: 'joined' } }, 'that edgefaas joined this node to the swarm');
        };
        // Raft adds managers one at a time; workers join in parallel.
        if (s.spec.role === 'manager') await (managerJoins = managerJoins.then(join, join));
        else await join();
      } else if (m.swarmRole !== s.spec.role) {
        await run(gw, [promoteStep(m.swarmNodeId, s.spec.name, s.spec.role)], s);
      } else right(s, `in the swarm as ${s.spec.role}`);
      await labels(s);
      const login = await lanLogin;
      if (login) await registryTrustOn(s, { login });
    } catch (e) {
      fail(s, e);
    }
  };

  const openfaasOnManager = async () => {
    const sideload = spec.openfaas?.sideload ?? [];
    const loaded: string[] = [];
    for (const image of sideload.filter((i) => !gw.facts!.images.includes(i))) {
      if (!d.progress) d.log(`[${gw.spec.name}] sideload ${image} from this machine`);
      gw.changes.push(`sideload ${image}`);
      loaded.push(image);
    }
    if (sideload.length && !loaded.length) right(gw, 'images sideloaded from this machine');
    if (loaded.length) {
      const title = `sideload ${loaded.length} image${loaded.length > 1 ? 's' : ''} from this machine`;
      d.progress?.start(gw.spec.name, title);
      if (!d.dryRun) await (d.sideload ?? sideloadImages)(loaded, gw.runner!);
      d.progress?.done(gw.spec.name, title, 'changed');
    }
    const services = gw.facts!.manager?.services.map((x) => x.name) ?? [];
    await lanRegistryOnManager(services, gw.facts!.manager?.secrets ?? []);
    // Images named for the LAN registry go into it, so any node can pull them.
    const pushable = loaded.filter((i) => registryAddr && i.startsWith(`${registryAddr}/`));
    if (pushable.length) {
      await run(gw, pushable.map((i) => ({ title: `push ${i} to the LAN registry`, command: `docker push ${shq(i)} >/dev/null`, sudo: true, timeoutMs: 10 * 60_000 })));
    }

    // The gateway password: generated once, 0600 here, a Swarm secret there.
    const secrets = gw.facts!.manager?.secrets ?? [];
    const refuse = secrets.includes('basic-auth-password')
      ? new UpError(`the swarm on ${gw.spec.name} has secret basic-auth-password but this machine has no ${d.passwordFile}; run: edgefaas down, then edgefaas up (a new password is generated)`)
      : undefined;
    const { password, created } = await keptOrNewPassword(d.passwordFile, { what: 'gateway password', dryRun: d.dryRun, log: d.log, refuse });
    d.secrets?.add(password);
    if (created && !d.dryRun) d.progress?.done(gw.spec.name, 'generate the gateway password', 'changed');
    const secretSteps = createSecretSteps({ user: !secrets.includes('basic-auth-user'), password: !secrets.includes('basic-auth-password') }, password);
    if (secretSteps.length) {
      await run(gw, secretSteps);
      const made = [...(!secrets.includes('basic-auth-user') ? ['basic-auth-user'] : []), ...(!secrets.includes('basic-auth-password') ? ['basic-auth-password'] : [])];
      await persist(gw, { ...gw.own!.state, secrets: [...new Set([...gw.own!.state.secrets, ...made])] }, 'the basic-auth secrets');
    } else right(gw, 'gateway basic-auth secrets');
    // faas-swarm's API version inside the manager's range (Docker 29 refuses its pinned 1.30).
    const providerApi = gw.facts!.api ? providerApiVersion(gw.facts!.api, gw.spec.name) : undefined;
    if (providerApi && providerApi.version !== PROVIDER_API_PIN) notes.push(`${gw.spec.name}: ${providerApi.reason}`);
    const userImages = Object.fromEntries(Object.entries(spec.openfaas?.images ?? {}).filter(([k]) => k !== 'registry'));
    const stack = renderSwarmStack({
      gatewayArch: gw.facts!.arch,
      gatewayUserland: gw.facts!.userland,
      gatewayNode: gw.spec.name,
      ipvs,
      gatewayPort: spec.gateway.port,
      auth: spec.gateway.auth,
      images: userImages,
      dockerApiVersion: providerApi?.version,
    });
    if (gw.facts!.manager?.stackHash !== stack.hash || !services.includes(`${STACK_NAME}_gateway`)) {
      await run(gw, deployStackSteps(stack, { withRegistryAuth: Boolean(lan?.auth) }));
      const stackServices = stack.services.map((n) => `${STACK_NAME}_${n}`);
      await persist(gw, { ...gw.own!.state, services: [...new Set([...gw.own!.state.services, ...stackServices])] }, `stack ${STACK_NAME}`);
    } else right(gw, 'OpenFaaS stack');
    // up is done when the gateway's update is complete and that task answers (kit/swarm/gateway-ready.ts).
    if (!d.dryRun && managerBehindJump) {
      notes.push(behindJumpMessage({ node: gw.spec.name, given: gw.spec.address, host: gw.spec.address, ip: addrOf(gw), behindJump: true }, spec.gateway.port));
    } else if (!d.dryRun) {
      d.progress?.start(gw.spec.name, 'wait for the gateway to answer');
      const ready = { runner: gw.runner!, node: gw.spec.name, url: gatewayAt, password, auth: spec.gateway.auth, expectLabels: { [STACK_HASH_LABEL]: stack.hash } };
      await waitForGatewayReady({ ...ready, fetch: d.fetch, timeoutMs: d.gatewayWaitMs ?? 300_000 });
      right(gw, 'wait for the gateway to answer');
    }
  };

  if (!refused) await Promise.all([managerChain(), ...states.filter((s) => s !== gw).map(workerChain)]);

  return { ...runOutcome(states), gatewayUrl: gatewayAt, ipvs, notes };
}
