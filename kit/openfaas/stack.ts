import { promises as fs } from 'node:fs';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { atomicWrite } from '../inventory/write.ts';

/**
 * stack.yml as faas-cli reads it (shared/reference/stack-yml.md): ${VAR} / ${VAR:-default}
 * substituted first, unknown keys ignored, scalars in string fields kept as their literal text.
 */

export class StackError extends Error {
  override name = 'StackError';
}

const str = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const bool = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False', 'TRUE', 'FALSE'])]).transform((v) => String(v).toLowerCase() === 'true');
const strMap = z.record(str);
const resources = z.object({ memory: str.optional(), cpu: str.optional() });

export const StackFunction = z.object({
  lang: str.optional(),
  handler: str.optional(),
  image: str,
  fprocess: str.optional(),
  environment: strMap.optional(),
  environment_file: z.array(str).optional(),
  secrets: z.array(str).optional(),
  constraints: z.array(str).optional(),
  labels: strMap.optional(),
  annotations: strMap.optional(),
  limits: resources.optional(),
  requests: resources.optional(),
  readonly_root_filesystem: bool.optional(),
  namespace: str.optional(),
  skip_build: bool.optional(),
  build_args: strMap.optional(),
  platforms: str.optional(),
});
export type StackFunction = z.infer<typeof StackFunction>;

export const Stack = z.object({
  version: str.optional(),
  provider: z.object({ name: str, gateway: str.optional() }),
  functions: z.record(StackFunction),
  configuration: z
    .object({
      templates: z.array(z.object({ name: str, source: str.optional() })).optional(),
      copy: z.array(str).optional(),
    })
    .optional(),
});
export type Stack = z.infer<typeof Stack>;

/** ${VAR} and ${VAR:-default}, as faas-cli's envsubst: unset (or empty, with :-) gives the default or "". */
export function envsubst(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, def?: string) => {
    const v = env[name];
    if (def !== undefined) return v ? v : def;
    return v ?? '';
  });
}

export function parseStack(text: string, o: { source?: string; env?: NodeJS.ProcessEnv; envsubst?: boolean } = {}): Stack {
  const source = o.source ?? 'stack.yml';
  let raw: unknown;
  try {
    // failsafe: every scalar stays the text it was written as (version: 1.0 is "1.0", min: 1 is "1").
    raw = parse(o.envsubst === false ? text : envsubst(text, o.env), { schema: 'failsafe' });
  } catch (e) {
    throw new StackError(`${source}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = Stack.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new StackError(`${source}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const stack = r.data;
  if (stack.provider.name !== 'openfaas') {
    throw new StackError(`${source}: ['openfaas'] is the only valid "provider.name" for the OpenFaaS CLI, but you gave: ${stack.provider.name}`);
  }
  if (stack.version !== undefined && stack.version !== '1.0') {
    throw new StackError(`${source}: [1.0] are the only valid versions for the stack file - found: ${stack.version}`);
  }
  for (const [name, fn] of Object.entries(stack.functions)) {
    if (!/^[-a-zA-Z_0-9.]+$/.test(name)) throw new StackError(`${source}: functions.${name}: a function name may hold only letters, digits, - _ .`);
    if (!fn.image.trim()) throw new StackError(`${source}: functions.${name}.image is empty (is \${REGISTRY} set?)`);
  }
  return stack;
}

export async function readStack(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Stack> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    throw new StackError(`${path} not found; run: edgefaas deploy --write-stack ${path}`);
  }
  return parseStack(text, { source: path, env });
}

const FUNCTION_KEYS: Array<keyof StackFunction> = [
  'lang', 'handler', 'image', 'fprocess', 'skip_build', 'platforms', 'namespace', 'environment', 'environment_file', 'secrets',
  'labels', 'annotations', 'constraints', 'limits', 'requests', 'readonly_root_filesystem', 'build_args',
];

/** YAML in faas-cli's usual key order; every string quoted where YAML would read it as another type. */
export function stringifyStack(stack: Stack, header?: string): string {
  const functions: Record<string, Record<string, unknown>> = {};
  for (const [name, fn] of Object.entries(stack.functions)) {
    const out: Record<string, unknown> = {};
    for (const k of FUNCTION_KEYS) if (fn[k] !== undefined) out[k] = fn[k];
    functions[name] = out;
  }
  const doc: Record<string, unknown> = {
    ...(stack.version !== undefined ? { version: stack.version } : {}),
    provider: stack.provider,
    ...(stack.configuration ? { configuration: stack.configuration } : {}),
    functions,
  };
  const body = stringify(doc, { defaultStringType: 'PLAIN', defaultKeyType: 'PLAIN', lineWidth: 0 });
  return (header ? header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n') + '\n' : '') + body;
}

export async function writeStack(path: string, stack: Stack, header?: string): Promise<void> {
  await atomicWrite(path, stringifyStack(stack, header));
}
