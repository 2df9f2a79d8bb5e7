import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { Step } from '../plan/types.ts';
import { writeFilesStdin } from '../docker/shell.ts';
import { ARCH_VARIANT_SERVICES, tagSuffixFor } from './swarm-stack-images.ts';

export const STACK_NAME = 'func';
export const STACK_DIR = '/var/lib/edgefaas/stack';
export const STACK_HASH_LABEL = 'edgefaas.stack.sha256';
const SWARM_DIR = fileURLToPath(new URL('../../swarm/', import.meta.url));
const CONFIG_FILES = ['prometheus/prometheus.yml', 'prometheus/alert.rules.yml', 'prometheus/alertmanager.yml'];

export interface StackOptions {
  /** `uname -m` of the node labelled edgefaas.gateway=true. */
  gatewayArch: string;
  /** Its userland (dpkg --print-architecture), which picks the image variant when known. */
  gatewayUserland?: string | null;
  gatewayNode: string;
  /** Without IPVS: dnsrr endpoints and host-mode published ports. */
  ipvs: boolean;
  gatewayPort: number;
  auth: boolean;
  /** Per service: an image to use instead, or null to leave the service out. */
  images?: Record<string, string | null>;
  /** faas-swarm's DOCKER_API_VERSION, inside the manager's range (kit/docker/api-version.ts). */
  dockerApiVersion?: string;
}

export interface RenderedStack {
  /** Relative path -> content: openfaas.yml and the configs it names. */
  files: Record<string, string>;
  /** sha256 of everything rendered (also set as a label on the gateway service). */
  hash: string;
  services: string[];
}

type Service = Record<string, any>;

/** Turns swarm/openfaas.yml into the stack this cluster runs. Pure but for reading swarm/. */
export function renderSwarmStack(o: StackOptions, swarmDir = SWARM_DIR): RenderedStack {
  const doc = parse(readFileSync(`${swarmDir}/openfaas.yml`, 'utf8')) as { services: Record<string, Service>; configs: Record<string, any> };
  const configs = Object.fromEntries(CONFIG_FILES.map((f) => [f, readFileSync(`${swarmDir}/${f}`, 'utf8')]));
  const suffix = tagSuffixFor(o.gatewayArch, o.gatewayNode, o.gatewayUserland ?? null);

  for (const [name, svc] of Object.entries(doc.services)) {
    const override = o.images?.[name];
    if (override === null) {
      delete doc.services[name];
      continue;
    }
    if (override) svc.image = override;
    else if ((ARCH_VARIANT_SERVICES as readonly string[]).includes(name)) svc.image = `${svc.image}${suffix}`;
    if (svc.environment?.basic_auth !== undefined) svc.environment.basic_auth = String(o.auth);
    if (name === 'gateway') svc.ports[0].published = o.gatewayPort;
    if (o.dockerApiVersion && svc.environment?.DOCKER_API_VERSION !== undefined) svc.environment.DOCKER_API_VERSION = o.dockerApiVersion;
    if (!o.ipvs) {
      svc.deploy = { ...(svc.deploy ?? {}), endpoint_mode: 'dnsrr' };
      for (const p of svc.ports ?? []) p.mode = 'host';
    }
  }
  routeInvocations(doc.services, o.ipvs);
  // Configs no remaining service uses are left out (with their files).
  const used = new Set(Object.values(doc.services).flatMap((svc) => (svc.configs ?? []).map((c: { source: string }) => c.source)));
  for (const key of Object.keys(doc.configs)) {
    if (!used.has(key)) {
      delete configs[String(doc.configs[key].file).replace(/^\.\//, '')];
      delete doc.configs[key];
    }
  }
  if (!Object.keys(doc.configs).length) delete (doc as { configs?: unknown }).configs;
  // Swarm configs are immutable: name each by its content so a changed file deploys as a new config.
  for (const [key, cfg] of Object.entries(doc.configs ?? {})) {
    const content = configs[String(cfg.file).replace(/^\.\//, '')] ?? '';
    cfg.name = `${STACK_NAME}_${key}_${sha256(content).slice(0, 10)}`;
  }
  const body = stringify(doc, { lineWidth: 0 });
  const hash = sha256(body + JSON.stringify(configs));
  if (doc.services.gateway) {
    const gw = doc.services.gateway;
    gw.deploy = { ...(gw.deploy ?? {}), labels: { ...(gw.deploy?.labels ?? {}), [STACK_HASH_LABEL]: hash } };
  }
  const header = '# Rendered by edgefaas up from swarm/openfaas.yml; edit that file, not this one.\n';
  return { files: { 'openfaas.yml': header + stringify(doc, { lineWidth: 0 }), ...configs }, hash, services: Object.keys(doc.services) };
}

/**
 * Where invocations go (shared/reference/openfaas-gateway.md, "Measured on a lab swarm"): the gateway
 * reads no `dnsrr` and with direct_functions=true calls http://NAME:8080, a VIP, which needs IPVS.
 * Without IPVS it hands calls to faas-swarm (direct_functions=false), which with dnsrr=true resolves
 * tasks.NAME. A gateway given NATS settings exits when NATS is absent, so a stack without nats gets
 * none, and no queue-worker (it only relays from NATS).
 */
function routeInvocations(services: Record<string, Service>, ipvs: boolean): void {
  const gw = services.gateway?.environment;
  const provider = services['faas-swarm']?.environment;
  if (gw) gw.direct_functions = String(ipvs);
  if (provider) provider.dnsrr = String(!ipvs);
  if (!services.nats) {
    if (gw) {
      delete gw.faas_nats_address;
      delete gw.faas_nats_port;
    }
    delete services['queue-worker'];
  }
}

/**
 * Writes the rendered files on the manager and deploys them as stack "func". `withRegistryAuth`: the
 * manager's registry login goes with the services, so other nodes can pull images from the LAN registry.
 */
export function deployStackSteps(stack: RenderedStack, o: { withRegistryAuth?: boolean } = {}): Step[] {
  const files = Object.fromEntries(Object.entries(stack.files).map(([path, content]) => [`${STACK_DIR}/${path}`, content]));
  return [
    { title: `write the stack files to ${STACK_DIR}`, ...writeFilesStdin(files), sudo: true },
    {
      title: `deploy the OpenFaaS stack (${stack.services.join(', ')})`,
      command: `cd ${STACK_DIR} && docker stack deploy --prune${o.withRegistryAuth ? ' --with-registry-auth' : ''} --compose-file openfaas.yml ${STACK_NAME}`,
      sudo: true,
      timeoutMs: 5 * 60_000,
    },
  ];
}

/** Creates the basic-auth secrets from stdin (never argv); `missing` comes from the manager's probe. */
export function createSecretSteps(missing: { user: boolean; password: boolean }, password: string): Step[] {
  const steps: Step[] = [];
  if (missing.user) {
    steps.push({ title: 'create secret basic-auth-user', command: 'docker secret create --label edgefaas.owned=true basic-auth-user -', stdin: 'admin', sudo: true });
  }
  if (missing.password) {
    steps.push({ title: 'create secret basic-auth-password', command: 'docker secret create --label edgefaas.owned=true basic-auth-password -', stdin: password, sudo: true });
  }
  return steps;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
