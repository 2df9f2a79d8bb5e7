import { z } from 'zod';

/**
 * cluster.yaml: the one description of a cluster that every command reads.
 * Passwords are never stored here: only where to find them (an env var name or a 0600 file).
 */

const hostOrIp = z
  .string()
  .trim()
  .min(1, 'expected a host name or IP, got ""')
  .regex(/^[A-Za-z0-9._:%-]*$/, 'expected a host name, IP or ~/.ssh/config alias');

export const SecretRef = z
  .object({
    env: z.string().min(1).optional(),
    file: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => s.env || s.file, 'give env or file');
export type SecretRef = z.infer<typeof SecretRef>;

export const NodeAuth = z.discriminatedUnion('method', [
  z.object({ method: z.literal('agent') }).strict(),
  z.object({ method: z.literal('key'), keyFile: z.string().min(1), passphrase: SecretRef.optional() }).strict(),
  z.object({ method: z.literal('password'), password: SecretRef }).strict(),
]);
export type NodeAuth = z.infer<typeof NodeAuth>;

export const NodeRole = z.enum(['manager', 'worker']);
export type NodeRole = z.infer<typeof NodeRole>;

export const NodeSpec = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a lower-case host-like name (a-z, 0-9, -)'),
    /** IP, DNS name, or a Host alias from ~/.ssh/config. */
    address: hostOrIp,
    user: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    auth: NodeAuth.default({ method: 'agent' }),
    /** Where sudo's password comes from when the user needs one. */
    sudoPassword: SecretRef.optional(),
    role: NodeRole.default('worker'),
    labels: z.record(z.string()).default({}),
  })
  .strict();
export type NodeSpec = z.infer<typeof NodeSpec>;

/**
 * Where images live. `manager`: a LAN registry `up` runs on the manager, basic auth on (credentials
 * generated, 0600 on this machine, nodes logged in). `external`: one the user has, HTTPS verified
 * (against `ca` when it is signed by a private CA, distributed to every node); `insecure: true`
 * (plain HTTP or unchecked HTTPS, as Docker's insecure-registries) only when written here.
 * Credentials: `username` + `password` (env or 0600 file), else `docker login`'s ~/.docker/config.json.
 */
export const Registry = z.discriminatedUnion('mode', [
  z
    .object({
      mode: z.literal('manager'),
      port: z.number().int().min(1).max(65535).default(5000),
      auth: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      mode: z.literal('external'),
      /** host[:port], optionally with a namespace images go under (ghcr.io/my-org). */
      address: z
        .string()
        .trim()
        .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?(\/[a-z0-9._-]+)*$/, 'expected HOST[:PORT][/NAMESPACE], e.g. registry.lan:5000 or ghcr.io/my-org'),
      /** PEM file of the private CA that signed the registry's certificate. */
      ca: z.string().min(1).optional(),
      insecure: z.boolean().default(false),
      username: z.string().min(1).optional(),
      password: SecretRef.optional(),
    })
    .strict(),
  z.object({ mode: z.literal('none') }).strict(),
])
  .superRefine((r, ctx) => {
      if (r.mode !== 'external') return;
      if (r.insecure && r.ca) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ca'], message: 'give ca (verified TLS) or insecure: true, not both' });
      if (r.password && !r.username) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['username'], message: 'a password needs its username' });
      if (r.username && !r.password) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['password'], message: `give where user ${r.username}'s password is: {env: VAR} or {file: PATH} (mode 0600)` });
  });
export type Registry = z.infer<typeof Registry>;

export const FunctionSpec = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
    model: z.enum(['resnet50', 'catdog']),
    replicas: z.number().int().min(1).default(1),
    maxReplicas: z.number().int().min(1).default(5),
  })
  .strict();
export type FunctionSpec = z.infer<typeof FunctionSpec>;

export const ClusterSpec = z
  .object({
    version: z.literal(1).default(1),
    name: z.string().min(1).default('edgefaas'),
    orchestrator: z.enum(['swarm', 'k3s']).default('swarm'),
    nodes: z.array(NodeSpec).min(1, 'list at least one node'),
    registry: Registry.default({ mode: 'manager', port: 5000, auth: true }),
    gateway: z
      .object({
        port: z.number().int().min(1).max(65535).default(8080),
        auth: z.boolean().default(true),
      })
      .strict()
      .default({}),
    functions: z
      .array(FunctionSpec)
      .default([
        { name: 'classify', model: 'resnet50', replicas: 1, maxReplicas: 5 },
        { name: 'catdog', model: 'catdog', replicas: 1, maxReplicas: 5 },
      ]),
    /**
     * Replicas per function: min (default: every node with memory for one, one per node) and max
     * (where alert scaling stops; default the function's maxReplicas). Sent as com.openfaas.scale.min/max.
     */
    scale: z
      .object({ min: z.number().int().min(1).optional(), max: z.number().int().min(1).optional() })
      .strict()
      .refine((s) => s.min === undefined || s.max === undefined || s.min <= s.max, { message: 'scale.min must not be above scale.max', path: ['min'] })
      .optional(),
    /**
     * Image overrides for the OpenFaaS stack (by service name, plus `registry`): an image name, or
     * null to leave that service out. `sideload` lists images the nodes cannot pull: `up` streams
     * them from the control machine's docker to the manager and pushes them to its registry.
     */
    openfaas: z
      .object({
        images: z.record(z.string().regex(/^[a-z][-a-z]*$/), z.string().min(1).nullable()).default({}),
        sideload: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .optional(),
    ssh: z
      .object({
        /** The kit's own known_hosts (trust on first use); ~/.ssh/known_hosts is read too. */
        knownHosts: z.string().optional(),
        /** ssh_config file to resolve aliases from (default ~/.ssh/config). */
        config: z.string().optional(),
        concurrency: z.number().int().min(1).max(64).default(8),
        timeoutSeconds: z.number().int().min(1).default(15),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.nodes.forEach((n, i) => {
      const keys = [
        { field: 'name', key: `name:${n.name}`, shown: `name "${n.name}"` },
        { field: 'address', key: `address:${n.address}:${n.port ?? 22}`, shown: `address ${n.address}:${n.port ?? 22}` },
      ];
      for (const { field, key, shown } of keys) {
        const first = seen.get(key);
        if (first !== undefined) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['nodes', i, field],
            message: `duplicate node: ${shown} is already nodes[${first}]`,
          });
        } else seen.set(key, i);
      }
    });
    if (!c.nodes.some((n) => n.role === 'manager')) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['nodes'], message: 'no manager: give one node role: manager' });
    }
  });
export type ClusterSpec = z.infer<typeof ClusterSpec>;
export type ClusterInput = z.input<typeof ClusterSpec>;
