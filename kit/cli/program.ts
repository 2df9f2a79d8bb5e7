import { Command, Option } from 'commander';
import { commands } from './commands.ts';
import { DEFAULT_CLUSTER_FILE } from '../inventory/load.ts';

/** The root command with the global options and every registered verb. */
export function buildProgram(): Command {
  const program = new Command('edgefaas')
    .description('Raspberry Pis and x86 boxes into an OpenFaaS cluster serving an image classifier')
    .option('-c, --config <path>', 'the cluster description to read (or write, for init)', DEFAULT_CLUSTER_FILE)
    .option('-y, --yes', 'ask nothing: take defaults; a missing answer is an error naming its flag')
    .option('--dry-run', 'print every command that would run on every node; change nothing')
    .addOption(new Option('--json', 'machine-readable result on stdout, logs on stderr'))
    .option('--verbose', 'more detail, stack traces on failure (also EDGEFAAS_DEBUG=1)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ edgefaas init                      answer a few questions, get cluster.yaml
  $ edgefaas up --dry-run              see every command up would run, per node
  $ edgefaas up                        Docker, Swarm, registry and OpenFaaS on every node
  $ curl --data-binary @cat.jpg http://GATEWAY:8080/function/classify

Exit codes: 0 done, 1 failed, 2 bad usage or config.`,
    );
  for (const make of commands) {
    const cmd = make();
    // Every verb's --help ends with examples; a verb that brings none gets the ones listed here.
    const examples = FALLBACK_EXAMPLES[cmd.name()];
    if (examples && (cmd as unknown as NodeJS.EventEmitter).listenerCount('afterHelp') === 0) {
      cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}`);
    }
    program.addCommand(cmd);
  }
  applyToAll(program, (cmd) => {
    // Throw instead of process.exit so main decides the exit code (usage errors are 2).
    cmd.exitOverride();
    if (cmd !== program) cmd.showHelpAfterError('(run with --help for usage)');
  });
  return program;
}

function applyToAll(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) applyToAll(sub, fn);
}

const FALLBACK_EXAMPLES: Record<string, string[]> = {
  init: ['edgefaas init', 'edgefaas init --yes --node name=pi-1,address=10.0.0.11,role=manager --node name=pi-2,address=10.0.0.12'],
  doctor: ['edgefaas doctor', 'edgefaas doctor --node pi-2', 'edgefaas doctor --json'],
  up: ['edgefaas up --dry-run', 'edgefaas up', 'edgefaas up --yes --config lab.yaml'],
  images: ['edgefaas images build', 'edgefaas images push'],
  deploy: ['edgefaas deploy --dry-run', 'edgefaas deploy'],
  invoke: ['edgefaas invoke classify cat.jpg', 'edgefaas invoke catdog dog.jpg --json'],
  status: ['edgefaas status', 'edgefaas status --json'],
  down: ['edgefaas down --dry-run', 'edgefaas down'],
  lab: ['edgefaas lab up --nodes 3', 'edgefaas lab status', 'edgefaas lab down'],
  serve: ['edgefaas serve'],
  bench: ['edgefaas bench classify', 'edgefaas bench classify cat.jpg --concurrency 1,5 --requests 20'],
};
