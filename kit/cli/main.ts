import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { describeError, exitCodeFor } from './errors.ts';

// `edgefaas ... | head -1`: the reader went away. Stop quietly, as cat and ls do, instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = exitCodeFor(err);
  const opts = program.opts();
  const verbose = Boolean(opts.verbose) || process.env.EDGEFAAS_DEBUG === '1';
  // Commander has already printed its own usage message (and help is not an error).
  if (!(err instanceof CommanderError)) process.stderr.write(`edgefaas: ${describeError(err, verbose)}\n`);
  if (code !== 0 && (opts.json || process.argv.includes('--json'))) {
    const message = describeError(err, false).replace(/^error: /, '');
    process.stdout.write(`${JSON.stringify({ ok: false, exitCode: code, error: message })}\n`);
  }
  process.exitCode = code;
}
