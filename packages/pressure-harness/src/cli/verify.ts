/**
 * pressure verify: does the suite catch the regressions its backend can be started with? The
 * suite declares them (harnessUse's `faults`: a name and the environment that switches it on);
 * the backend of the working tree runs clean on one side and, one fault at a time, with the fault
 * on the other, compared every metric with no rule written. A fault with no failing finding is
 * missed; a clean pair (the same backend twice) with a failing finding is a false alarm. The
 * clean side keeps running across the faults: each step starts one backend.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareRuns, failing, withSchema, stopWhenDecided } from '../compare/compare.js';
import { formatFinding } from '../compare/format.js';
import { loadCompareRules } from '../compare/rules.js';
import { type FlagSpec, grepFlag, intFlag, parseFlags } from './args.js';
import { declaredBackend, roundsBetween, startRef } from './compare.js';
import type { Side as Started } from './sides.js';
import { loadSuite } from './suite.js';

export const verify = {
  name: 'verify',
  summary: 'prove the suite catches the faults its backend declares, and stays quiet on a clean pair',
  usage: 'pressure verify [--fault <name>]… [--rounds 1-10] [--grep <re>] [--out <dir>] [-c <config>]',
  about:
    "For each fault the suite declares (harnessUse's faults: name → environment), starts the backend of the working tree with it and compares it with the backend running clean: caught when a finding fails. Also compares a clean pair: a failing finding there is a false alarm. Writes <out>/verify.json; exits 1 when a fault is missed or a clean pair alarms, 2 on bad input.",
  example: 'npx pressure verify --fault n_plus_one --fault drop_index',
  flags: {
    fault: { type: 'string', multiple: true, help: 'only this declared fault (repeatable; default: all of them)' },
    rounds: { type: 'string', help: 'the most rounds a side per comparison, 1 to 10 (default 3); each stops as soon as its verdict is clear, from 2 rounds a side' },
    grep: { type: 'string', help: 'only scenarios whose title matches this regular expression' },
    out: { type: 'string', help: "where verify.json and the rounds go (default: <the suite's results folder>/verify)" },
  } satisfies FlagSpec,
  async run(argv: string[]): Promise<number> {
    const f = parseFlags('verify', argv, verify.flags, verify.usage);
    const rounds = intFlag(f.problems, 'rounds', f.rounds, 1, 10, 3);
    grepFlag(f.problems, f.grep);
    f.done();
    const suite = await loadSuite(f.config);
    const spec = declaredBackend(suite, 'verify', verify.usage);
    const declared = suite.use.faults ?? {};
    const names = f.fault ?? Object.keys(declared);
    const unknown = names.filter((n) => !(n in declared));
    if (!names.length || unknown.length) {
      f.problems.push(
        !names.length
          ? `${suite.configFile} declares no faults: pass harnessUse(settings, { backend, faults: { name: { ENV: 'value' } } })`
          : `no fault named ${unknown.join(', ')}; declared: ${Object.keys(declared).join(', ') || 'none'}`,
      );
      f.done();
    }
    const out = f.out ? path.resolve(f.out) : path.join(suite.perf.resultsDir, 'verify');
    const rules = await loadCompareRules(suite.perf.budgetsDir);
    const work = mkdtempSync(path.join(tmpdir(), 'pressure-verify-'));
    let clean: Started | undefined;
    const results: { fault: string | null; failing: string[]; seconds: number }[] = [];
    try {
      clean = await startRef(suite, spec, 'clean', null, {}, work);
      for (const [n, fault] of [null, ...names].entries()) {
        const t = performance.now();
        const other = await startRef(suite, spec, fault ?? 'clean2', null, fault ? declared[fault]! : {}, work);
        try {
          const [b, c, schema] = await roundsBetween(suite, [clean, other], { rounds, until: stopWhenDecided(rules) }, path.join(out, `${n}-${fault ?? 'clean'}`), f.grep);
          const cmp = compareRuns(b, c, rules);
          const fails = failing(schema ? withSchema(cmp, schema) : cmp).map(formatFinding);
          results.push({ fault, failing: fails, seconds: Math.round((performance.now() - t) / 100) / 10 });
          console.log(
            fault
              ? `verify: ${fault}: ${fails.length ? `caught (${fails.length} failing): ${fails[0]}` : 'MISSED: no failing finding'}`
              : `verify: clean pair: ${fails.length ? `FALSE ALARM (${fails.length} failing): ${fails[0]}` : 'quiet'}`,
          );
        } finally {
          await other.stop();
        }
      }
    } finally {
      await clean?.stop();
      rmSync(work, { recursive: true, force: true });
    }
    const missed = results.filter((r) => r.fault && !r.failing.length).map((r) => r.fault!);
    const alarms = results.find((r) => r.fault === null)!.failing;
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'verify.json'), `${JSON.stringify({ rounds, caught: names.length - missed.length, of: names.length, missed, falseAlarms: alarms, results }, null, 2)}\n`);
    console.log(
      `verify: ${names.length - missed.length} of ${names.length} faults caught${missed.length ? ` (missed: ${missed.join(', ')})` : ''}; clean pair: ${alarms.length} false alarm(s) → ${path.join(out, 'verify.json')}`,
    );
    return missed.length || alarms.length ? 1 : 0;
  },
};
