#!/usr/bin/env node
// The kit ships as TypeScript; tsx compiles it on load so `npx edgefaas` needs no build step.
import { register } from 'tsx/esm/api';
register();
await import('../kit/cli/main.ts');
