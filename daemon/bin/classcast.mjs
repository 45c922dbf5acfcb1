#!/usr/bin/env node
// Entry of `classcast`: runs the TypeScript sources directly through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./entry.ts');
await runCli();
