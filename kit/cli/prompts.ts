import { confirm, input, number, password, select } from '@inquirer/prompts';
import type { Stream } from './context.ts';

/** The questions a command may ask; in cli/ only, so domain code gets plain values. */
export interface Prompter {
  input(q: { message: string; default?: string; validate?: (v: string) => true | string | Promise<true | string> }): Promise<string>;
  select<T>(q: { message: string; choices: { name: string; value: T; description?: string }[]; default?: T }): Promise<T>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
  /** Masked. */
  password(q: { message: string; validate?: (v: string) => true | string }): Promise<string>;
  number(q: { message: string; default?: number; min?: number; max?: number }): Promise<number>;
}

/** @inquirer/prompts on the given output (stderr under --json, so stdout stays the result). */
export function inquirerPrompter(output: Stream): Prompter {
  const context = { output: output as NodeJS.WritableStream, clearPromptOnDone: false };
  return {
    input: (q) => input(q, context),
    select: (q) => select(q, context),
    confirm: (q) => confirm(q, context),
    password: (q) => password({ ...q, mask: '*' }, context),
    number: async (q) => (await number({ ...q, required: true }, context)) as number,
  };
}
