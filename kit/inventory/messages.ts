import { z } from 'zod';

/** `nodes[2].address` from ['nodes', 2, 'address']. */
export function formatPath(path: (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
}

/** How a found value is quoted in messages: strings in quotes, others as YAML would show them. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/**
 * A field whose name says it holds a secret (password, passphrase, token, secret, key; not keyFile):
 * an error about it never shows what was written there, it may be the secret itself.
 */
export function isSecretPath(path: readonly (string | number)[]): boolean {
  return path.some((p) => typeof p === 'string' && /pass(word|phrase)|token|secret|(^|[a-z_-])key$/i.test(p));
}

/** describeValue, except under a secret-looking field: only the kind of value is named. */
export function describeFound(path: readonly (string | number)[], value: unknown): string {
  if (!isSecretPath(path)) return describeValue(value);
  if (value === null || typeof value === 'object') return describeValue(value);
  return `a ${typeof value} (not shown: the field holds a secret)`;
}

/** zod's messages, reworded as "expected X, got Y" with the value the user wrote. */
export const configErrorMap: z.ZodErrorMap = (issue, ctx) => {
  // Under a secret-looking field only the kind of value is named, never the value.
  const found = (value: unknown) => describeFound(issue.path, value);
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      if (issue.received === 'undefined') return { message: 'required, but missing' };
      return { message: `expected ${article(issue.expected)}, got ${found(ctx.data)}` };
    case z.ZodIssueCode.invalid_enum_value:
      return { message: `expected one of ${issue.options.join(', ')}, got ${found(ctx.data)}` };
    case z.ZodIssueCode.invalid_union_discriminator:
      return { message: `expected one of ${issue.options.map(String).join(', ')}, got ${found(discriminator(issue.path, ctx.data))}` };
    case z.ZodIssueCode.invalid_literal:
      return { message: `expected ${found(issue.expected)}, got ${found(ctx.data)}` };
    case z.ZodIssueCode.unrecognized_keys:
      return { message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` };
    case z.ZodIssueCode.too_small:
      if (issue.type === 'number') return { message: `expected at least ${issue.minimum}, got ${found(ctx.data)}` };
      break;
    case z.ZodIssueCode.too_big:
      if (issue.type === 'number') return { message: `expected at most ${issue.maximum}, got ${found(ctx.data)}` };
      break;
    case z.ZodIssueCode.not_finite:
    case z.ZodIssueCode.invalid_string:
      break;
  }
  return { message: ctx.defaultError };
};

/** zod hands the whole object for a bad discriminator; the user wants the field's own value. */
function discriminator(path: (string | number)[], data: unknown): unknown {
  const key = path[path.length - 1];
  if (typeof key === 'string' && data !== null && typeof data === 'object' && !Array.isArray(data)) return (data as Record<string, unknown>)[key];
  return data;
}

function article(type: string): string {
  if (type === 'integer') return 'a whole number';
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
