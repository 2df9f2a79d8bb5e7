import type { Command } from 'commander';
import { makeInitCommand } from './init.ts';
import { makeLabCommand } from './lab.ts';
import { makeDoctorCommand } from './doctor.ts';
import { makeUpCommand } from './up.ts';
import { makeStatusCommand } from './status.ts';
import { makeDownCommand } from './down.ts';
import { makeServeCommand } from './serve.ts';
import { makeImagesCommand } from './images.ts';
import { makeDeployCommand } from './deploy.ts';
import { makeInvokeCommand } from './invoke.ts';
import { makeBenchCommand } from './bench.ts';

/** Each verb lives in its own file as makeXCommand(); this list only attaches them. */
export const commands: Array<() => Command> = [
  makeInitCommand,
  makeLabCommand,
  makeDoctorCommand,
  makeUpCommand,
  makeStatusCommand,
  makeDownCommand,
  makeServeCommand,
  makeImagesCommand,
  makeDeployCommand,
  makeInvokeCommand,
  makeBenchCommand,
];
