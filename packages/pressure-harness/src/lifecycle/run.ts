/**
 * A run's lifecycle, for any backend: global setup (run ID, the capability probe, reaping what
 * expired runs left) and global teardown (remove this run, then prove nothing is left). A suite's
 * global-setup.ts and global-teardown.ts call these with what only the suite knows: the
 * capabilities it requires, its own checks, and the resources its seeding adapters keep
 * (ledgers of rows made through a public API or SQL).
 *
 * Both write to stderr, never stdout: `--reporter=json` on stdout stays valid JSON. A failed
 * setup leaves teardown nothing to blame: teardown does nothing for a run whose setup failed.
 */
import { type APIRequestContext, type FullConfig, request } from '@playwright/test';
import { SERVICE_TOKEN_HEADER } from '../contract/protocol.js';
import { mintRunId } from '../config/settings.js';
import type { HarnessOptions } from '../fixtures/options.js';
import { prefixed } from '../fixtures/prefix.js';
import { databaseOf } from '../pg/url.js';
import { formatParity, parityOf, profileDatabase } from '../pg/parity.js';
import { censusInDatabase, describeCounts, total } from '../seed/census.js';
import { RunClient } from '../seed/run-client.js';
import { answers, type Capabilities, type CapabilityId, capabilitiesFromEnv, ENV_KEY, formatCapabilities, has, missingRequired, probeCapabilities, servedDatabase } from './capabilities.js';

/** What a seeding adapter keeps outside the backend's own run endpoints (a ledger), so that teardown and the next run can clean it. */
export type RunResources = {
  name: string;
  /** Removes what expired runs left (a crash). Returns the rows removed. */
  reap(): Promise<number>;
  /** Removes this run's rows. Returns the rows removed. */
  cleanup(runId: string): Promise<number>;
  /** This run's rows still present, by table: the leak proof. */
  remaining(runId: string): Promise<Record<string, number>>;
};

export type SuiteLifecycle = {
  /** Capabilities the suite cannot work without: their absence stops the run with one message. */
  require?: CapabilityId[];
  /** More paths whose responses may carry evidence headers. */
  probePaths?: string[];
  /** The suite's own resources (adapter ledgers); given as a function so that it can use the run's settings. */
  resources?: (o: HarnessRunOptions) => RunResources[];
  /** The suite's own checks after the probe (the reference app's faults); throw to stop. */
  afterProbe?: (ctx: { capabilities: Capabilities; runId: string; service: APIRequestContext; config: FullConfig }) => Promise<void>;
  /** The suite's own cleanup after the harness's (a restored database to drop). */
  afterCleanup?: (ctx: { runId: string; options: HarnessRunOptions; servedDatabaseUrl: string | undefined }) => Promise<void>;
};

export type HarnessRunOptions = HarnessOptions & { baseURL: string };

const SETUP_OK = 'PRESSURE_SETUP_OK';
const say = (msg: string) => process.stderr.write(`${msg}\n`);

/** The harness options as the suite's playwright.config.ts set them (identical for every project). */
export function harnessOptions(config: FullConfig): HarnessRunOptions {
  const use = config.projects[0]?.use as Partial<HarnessRunOptions> | undefined;
  if (!use?.baseURL || !use.serviceToken) throw new Error('playwright.config.ts must set use.baseURL and use.serviceToken (see harnessUse in config/use.ts)');
  return use as HarnessRunOptions;
}

async function serviceContext(o: HarnessRunOptions): Promise<APIRequestContext> {
  return prefixed(await request.newContext({ extraHTTPHeaders: { [SERVICE_TOKEN_HEADER]: o.serviceToken } }), o.baseURL);
}

export async function runSetup(config: FullConfig, suite: SuiteLifecycle = {}): Promise<Capabilities> {
  // The suite's config fixed the run ID (RUN_ID overrides it) before webServer started; workers
  // inherit it through the environment, which is how every process of the run agrees.
  const runId = process.env.RUN_ID ?? mintRunId();
  process.env.RUN_ID = runId;
  delete process.env[SETUP_OK];
  const o = harnessOptions(config);
  const capabilities = await probeCapabilities({
    baseUrl: o.baseURL,
    healthPath: o.healthPath,
    metricsPath: o.metricsPath,
    serviceToken: o.serviceToken,
    databaseUrl: o.databaseUrl,
    probePaths: suite.probePaths,
  });
  say(formatCapabilities(capabilities));
  const missing = missingRequired(capabilities, suite.require ?? []);
  if (missing) throw new Error(missing);
  await checkParity(o);
  process.env[ENV_KEY] = JSON.stringify(capabilities);

  const service = await serviceContext(o);
  try {
    await suite.afterProbe?.({ capabilities, runId, service, config });
    const notes: string[] = [];
    if (has(capabilities, 'testEndpoints')) {
      const client = new RunClient(service);
      // Shards of one run share its RUN_ID and its backend's data: each says it started, so the
      // last one to finish knows to clean up.
      if (config.shard && config.shard.total > 1) await client.shardEvent(runId, config.shard.current, config.shard.total, 'start');
      const reaped = await client.reapExpired();
      if (total(reaped.deleted)) notes.push(`reaped ${total(reaped.deleted)} expired rows of ${reaped.runs.length} earlier run(s) (${describeCounts(reaped.deleted)})`);
    }
    for (const r of suite.resources?.(o) ?? []) {
      const n = await r.reap();
      if (n) notes.push(`${r.name}: reaped ${n} expired rows of earlier runs`);
    }
    say(`run ${runId} against ${o.baseURL}${notes.length ? `; ${notes.join('; ')}` : ''}`);
  } finally {
    await service.dispose();
  }
  process.env[SETUP_OK] = '1';
  return capabilities;
}

/**
 * PARITY_DATABASE_URL: the test database's shape against production's (pg/parity.ts), printed
 * before any test; with PERF_REQUIRE_PARITY=1 a difference stops the run here, before it measures
 * a database unlike the one its numbers are meant for.
 */
async function checkParity(o: HarnessRunOptions): Promise<void> {
  const target = o.perfSettings.parity;
  if (!target) return;
  if (!o.databaseUrl) {
    const why = 'parity: n/a, the suite gives no DATABASE_URL to compare with PARITY_DATABASE_URL';
    if (target.require) throw new Error(`${why}, and PERF_REQUIRE_PARITY=1`);
    say(why);
    return;
  }
  const [test, production] = await Promise.all([profileDatabase(o.databaseUrl), profileDatabase(target.url)]).catch((e: Error) => {
    throw new Error(`parity: the databases could not be profiled: ${e.message.split('\n')[0]}`);
  });
  const findings = parityOf(test, production);
  say(formatParity(test, production, findings));
  if (target.require && findings.length)
    throw new Error(`PERF_REQUIRE_PARITY=1 and the test database differs from production's in ${findings.length} way(s), listed above: the run stops before measuring`);
}

export async function runTeardown(config: FullConfig, suite: SuiteLifecycle = {}): Promise<void> {
  const runId = process.env.RUN_ID;
  // Setup failed (or never ran): its error is the one to read; nothing of this run was made.
  if (!runId || process.env[SETUP_OK] !== '1') return;
  const capabilities = capabilitiesFromEnv();
  const o = harnessOptions(config);
  if (o.keepRun) {
    say(`cleanup: run ${runId} kept (RUN_KEEP=1): its rows stay, for a dataset (pressure dataset save|restore); they expire at their TTL unless the dataset made them permanent`);
    return;
  }
  // A backend that froze (a stall ended the run) would hold every request below for minutes:
  // its rows stay until their expiry, and the next run's setup reaps them.
  const alive = await answers(o.baseURL, o.healthPath);
  if (alive !== true && capabilities && (has(capabilities, 'testEndpoints') || has(capabilities, 'database'))) {
    throw new Error(
      `cleanup: run ${runId} was not removed: the backend at ${o.baseURL} does not answer (${alive}). Its rows expire at their TTL (RUN_TTL_MINUTES) and the next run's setup reaps them.`,
    );
  }
  const service = await serviceContext(o);
  try {
    const viaBackend = capabilities && has(capabilities, 'testEndpoints');
    const client = new RunClient(service);
    if (viaBackend && config.shard && config.shard.total > 1) {
      const { current, total: shards } = config.shard;
      const done = await client.shardEvent(runId, current, shards, 'finish');
      if (done && !done.last) {
        say(`cleanup: shard ${current}/${shards} of run ${runId} finished (${done.finished} of ${shards} so far); the run's data stays for the last shard to remove, or its TTL`);
        return;
      }
    }
    let removed = 0;
    const leaks: string[] = [];
    const proofs: string[] = [];
    for (const r of suite.resources?.(o) ?? []) {
      removed += await r.cleanup(runId);
      const left = await r.remaining(runId);
      proofs.push(r.name);
      if (total(left)) leaks.push(`${r.name} still holds ${describeCounts(left)}`);
    }
    if (viaBackend) {
      removed += total((await client.cleanup(runId)).deleted);
      const left = (await client.runRows(runId)).rows;
      proofs.push('the backend');
      if (total(left)) leaks.push(`the backend reports ${describeCounts(left)}`);
    }
    let served: string | undefined;
    if (capabilities && has(capabilities, 'database') && o.databaseUrl) {
      const health = await service
        .get(o.healthPath, { failOnStatusCode: false })
        .then((r) => r.text())
        .catch(() => undefined);
      served = servedDatabase(o.databaseUrl, health);
      const direct = await censusInDatabase(served, runId);
      if (Object.keys(direct).length) {
        proofs.push(`every run-tagged table of ${databaseOf(served)}`);
        if (total(direct)) leaks.push(`the database holds ${describeCounts(direct)}`);
      }
    }
    if (leaks.length) throw new Error(`LEAK: run ${runId} left rows behind after cleanup: ${leaks.join('; ')}`);
    say(
      proofs.length
        ? `cleanup: run ${runId} removed ${removed} rows; none left (checked: ${proofs.join(', ')})`
        : `cleanup: run ${runId}: the backend offers no way to clean up or count a run's rows (no test endpoints, no ledger, no database access): nothing was checked`,
    );
    await suite.afterCleanup?.({ runId, options: o, servedDatabaseUrl: served });
  } finally {
    await service.dispose();
  }
}
