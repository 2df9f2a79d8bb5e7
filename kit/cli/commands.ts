import type { Command } from 'commander';

/** Each verb lives in its own file as makeXCommand(); this list only attaches them. */
export const commands: Array<() => Command> = [];
