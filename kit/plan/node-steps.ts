import type { NodeSpec } from '../inventory/schema.ts';
import type { NodeOutcome, StepProgress } from '../orchestrator/contract.ts';
import { forEachNode } from '../ssh/parallel.ts';
import { execSteps } from './exec.ts';
import type { Runner, Step } from './types.ts';

/** One node's part in an orchestrator run: its connection, what changed, its first error. */
export interface NodeRun {
  spec: NodeSpec;
  runner?: Runner;
  changes: string[];
  error?: Error;
}

interface Reporting {
  log(line: string): void;
  progress?: StepProgress;
}

/** Keeps a node's first error (what follows from it is not news) and shows it on the node's row. */
export function failNode(d: Reporting, s: NodeRun, e: unknown): void {
  if (s.error) return;
  d.progress?.fail(s.spec.name, e);
  s.error = e instanceof Error ? e : new Error(String(e));
}

/** What a run reports: each node's changes or error; ok when no node failed. */
export function runOutcome(states: NodeRun[]): { ok: boolean; changed: boolean; nodes: NodeOutcome[] } {
  const nodes = states.map((s) => ({ node: s.spec.name, ok: !s.error, changes: s.changes, ...(s.error ? { error: s.error.message } : {}) }));
  return { ok: nodes.every((n) => n.ok), changed: nodes.some((n) => n.changes.length > 0), nodes };
}

/** Runs steps on a node's runner; `as` is the node they are about (its row shows them). */
export function stepsOn(d: Reporting) {
  return (s: NodeRun, steps: Step[], as: NodeRun = s): Promise<string[]> =>
    execSteps(s.runner!, s.spec.name, steps, {
      start: (title) => (d.progress ? d.progress.start(as.spec.name, title) : d.log(`[${as.spec.name}] ${title}`)),
      changed: (title) => {
        as.changes.push(title);
        d.progress?.done(as.spec.name, title, 'changed');
      },
    });
}

/** Work on several nodes at once (bounded); a node that throws keeps its first error, the others go on. */
export function phaseOver(d: Reporting, concurrency: number) {
  return async <S extends NodeRun>(list: S[], work: (s: S) => Promise<unknown>): Promise<void> => {
    const out = await forEachNode(list.map((s) => ({ name: s.spec.name, s })), concurrency, ({ s }) => work(s));
    out.forEach((o, i) => {
      if (!o.ok) failNode(d, list[i]!, o.error);
    });
  };
}

/** Connect to every node and run its read-only probe (also under --dry-run), facts parsed per node. */
export async function probeAll<S extends NodeRun & { facts?: F }, F>(
  d: Reporting & { runner(node: NodeSpec): Promise<Runner> },
  phase: ReturnType<typeof phaseOver>,
  states: S[],
  probe: Step,
  parse: (out: string) => F,
): Promise<void> {
  const run = stepsOn(d);
  await phase(states, async (s) => {
    d.progress?.start(s.spec.name, 'connect and look around (read-only)');
    s.runner = await d.runner(s.spec);
    const [out] = await run(s, [probe]);
    s.facts = parse(out ?? '');
    d.progress?.done(s.spec.name, 'connect and look around (read-only)', 'unchanged');
  });
}
