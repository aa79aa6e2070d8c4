#!/usr/bin/env node
// The `pressure` command: the compiled command line (dist/, made by `npm run build`, which npm ci
// runs through prepare). A file of its own, present before the build: npm links a package's bin
// when it installs it, and in this repository's workspace that happens before dist/ exists.
import '../dist/cli/main.js';
