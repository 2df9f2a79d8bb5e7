import { Command } from 'commander';
import { commands } from './commands.ts';

const program = new Command('edgefaas')
  .description('Raspberry Pis and x86 boxes into an OpenFaaS cluster serving an image classifier')
  .showHelpAfterError();

for (const make of commands) program.addCommand(make());

await program.parseAsync(process.argv);
