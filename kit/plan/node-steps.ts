import type { NodeSpec } from '../inventory/schema.ts';
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
  progress?: { start(node: string, step: string): void; done(node: string, step: string, outcome: 'changed' | 'unchanged'): void; fail(node: string, err: unknown): void };
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
      if (!o.ok && !list[i]!.error) {
        d.progress?.fail(list[i]!.spec.name, o.error);
        list[i]!.error = o.error instanceof Error ? o.error : new Error(String(o.error));
      }
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
