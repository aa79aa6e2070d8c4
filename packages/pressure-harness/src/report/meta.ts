/** Which code a perf run measured: the release tag (PERF_RELEASE) and the git commit. */
import { execFileSync } from 'node:child_process';
import type { CodeOf } from './results.js';

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

export function commitOf(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.GITHUB_SHA ?? git(['rev-parse', 'HEAD']);
}

/** The branch: CI's name for it (GITHUB_HEAD_REF on a pull request, GITHUB_REF_NAME), else git's; null on a detached HEAD. */
export function branchOf(env: NodeJS.ProcessEnv = process.env): string | null {
  const b = env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || git(['rev-parse', '--abbrev-ref', 'HEAD']);
  return b && b !== 'HEAD' ? b : null;
}

/** Commit, branch and release of the working tree, read once per process: a run measures one code. */
let code: CodeOf | undefined;
export function codeOf(env: NodeJS.ProcessEnv = process.env): CodeOf {
  return (code ??= { commit: commitOf(env), branch: branchOf(env), release: releaseOf(env) });
}

/** PERF_RELEASE when set; else the exact tag on HEAD, if any. */
export function releaseOf(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.PERF_RELEASE || git(['describe', '--tags', '--exact-match']);
}
