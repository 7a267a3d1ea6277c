#!/usr/bin/env node
// The `berth` binary: the real process around `main` (cli.ts), which tests run in-process.
import { main } from './cli.js';
import { processIo } from './io.js';

process.exitCode = await main(process.argv.slice(2), processIo());
