import type { Command } from 'commander';
import { makeLabCommand } from './lab.ts';

/** Each verb lives in its own file as makeXCommand(); this list only attaches them. */
export const commands: Array<() => Command> = [
  makeLabCommand,
];
