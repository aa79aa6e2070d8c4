/** Which code a perf run measured: the release tag (PERF_RELEASE) and the git commit. */
import { execFileSync } from 'node:child_process';

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

/** PERF_RELEASE when set; else the exact tag on HEAD, if any. */
export function releaseOf(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.PERF_RELEASE || git(['describe', '--tags', '--exact-match']);
}
