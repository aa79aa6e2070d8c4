#!/usr/bin/env node
/** The `pressure` command (package.json "bin"): one verb per file under cli/. */
import { run } from './index.js';

process.exitCode = await run(process.argv.slice(2));
