#!/usr/bin/env node
/** The `pressure` command (package.json "bin"): one verb per file under cli/. */
import { run } from './index.js';

// A reader that stops early (`pressure compare … | head`) is not an error of the verb.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await run(process.argv.slice(2));
