import { promises as fs } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { z } from 'zod';
import { ClusterSpec } from './schema.ts';
import { configErrorMap, describeFound, formatPath } from './messages.ts';

export const DEFAULT_CLUSTER_FILE = 'cluster.yaml';

export interface ConfigIssue {
  /** e.g. `nodes[2].address`; '' for the file as a whole. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** cluster.yaml (or an answer that would go in it) is wrong: exit code 2, no stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: ConfigIssue[] = [],
  ) {
    super(message);
  }
}

/** Parses cluster.yaml text; every problem names its field and line: `cluster.yaml:7:14: nodes[2].address: ...`. */
export function parseCluster(text: string, source = DEFAULT_CLUSTER_FILE): ClusterSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return { path: '', message: `yaml syntax: ${firstLine(e.message)}`, line: pos?.line, column: pos?.col };
    });
    throw configError(source, issues);
  }
  const result = ClusterSpec.safeParse(doc.toJS(), { errorMap: configErrorMap });
  if (!result.success) throw configError(source, issuesOf(result.error, doc, lineCounter));
  return result.data;
}

/** Validates values (not text): for answers and flags before anything is written. */
export function validateCluster(input: unknown, source = DEFAULT_CLUSTER_FILE): ClusterSpec {
  const result = ClusterSpec.safeParse(input, { errorMap: configErrorMap });
  if (!result.success) throw configError(source, issuesOf(result.error));
  return result.data;
}

export async function loadCluster(path = DEFAULT_CLUSTER_FILE): Promise<ClusterSpec> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(`${path} not found; run: edgefaas init (or edgefaas lab up), or pass --config PATH`);
    }
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseCluster(text, path);
}

function issuesOf(error: z.ZodError, doc?: Document, lineCounter?: LineCounter): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...issue.path, issue.keys[0]!] : issue.path;
    const located = doc && lineCounter ? locate(doc, lineCounter, path) : undefined;
    return { path: formatPath(path), message: withValue(issue, doc, path), ...located };
  });
}

/** Custom refinement messages say what was expected; add what was found. */
function withValue(issue: z.ZodIssue, doc: Document | undefined, path: (string | number)[]): string {
  if (issue.message.includes('got ') || !doc) return issue.message;
  if (issue.code !== 'invalid_string' && issue.code !== 'custom') return issue.message;
  if (issue.code === 'custom' && /duplicate|one node/.test(issue.message)) return issue.message;
  const value = doc.getIn(path);
  return value === undefined ? issue.message : `${issue.message}, got ${describeFound(path, value)}`;
}

/** The line and column of the deepest node of `path` that exists in the file. */
function locate(doc: Document, lc: LineCounter, path: (string | number)[]): { line: number; column: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lc.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

function configError(source: string, issues: ConfigIssue[]): ConfigError {
  const lines = issues.map((i) => {
    const where = i.line !== undefined ? `${source}:${i.line}:${i.column ?? 1}` : source;
    return i.path ? `${where}: ${i.path}: ${i.message}` : `${where}: ${i.message}`;
  });
  return new ConfigError(lines.join('\n'), issues);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').trim();
}
