import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { describeError, exitCodeFor } from './errors.ts';

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = exitCodeFor(err);
  // Commander has already printed its own usage message.
  if (!(err instanceof CommanderError)) {
    const opts = program.opts();
    const verbose = Boolean(opts.verbose) || process.env.EDGEFAAS_DEBUG === '1';
    process.stderr.write(`edgefaas: ${describeError(err, verbose)}\n`);
    if (opts.json || process.argv.includes('--json')) {
      process.stdout.write(`${JSON.stringify({ ok: false, exitCode: code, error: (err as Error).message ?? String(err) })}\n`);
    }
  }
  process.exitCode = code;
}
