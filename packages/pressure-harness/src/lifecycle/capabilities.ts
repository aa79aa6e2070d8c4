/**
 * Capabilities, not prerequisites. At the start of a run the harness asks the backend what it
 * offers, once, and says so in one table: each line present or absent, and what it enables. The
 * run goes on with what exists; a metric whose evidence is absent is n/a everywhere, a budget on
 * it is skipped with the reason (or fails where the suite marks it required). A suite that cannot
 * work without something names it in `require`, and gets one message listing all that is missing.
 *
 * Global setup probes; workers read the result from the environment (PRESSURE_CAPABILITIES),
 * so every process of the run agrees on it.
 */
import { EVIDENCE_HEADERS, RUN_ENDPOINTS, SERVICE_TOKEN_HEADER } from '../contract/protocol.js';
import { databaseOf, redactUrl, withClient, withDatabase } from '../pg/url.js';

export const CAPABILITIES = {
  health: { name: 'health endpoint', enables: 'a readiness check before the run' },
  queryCount: { name: 'query-count header (X-DB-Query-Count)', enables: 'db_queries_per_req: N+1 and query growth' },
  serverTiming: { name: 'Server-Timing db;dur', enables: 'db_ms: time in the database per request' },
  requestId: { name: 'request id header (X-Request-Id)', enables: "slow requests matched to the backend's logs" },
  testEndpoints: { name: 'run-scoped test endpoints', enables: 'cleanup by run ID, reaping and coordination through the backend' },
  metrics: { name: 'Prometheus metrics', enables: 'backend signals during load (memory, pool, in-flight)' },
  database: { name: 'direct database access (DATABASE_URL)', enables: "seeding through SQL, leak proof by counting rows, PostgreSQL's own statistics" },
  statementStats: { name: 'pg_stat_statements', enables: 'slowest statements of a run' },
} as const;
export type CapabilityId = keyof typeof CAPABILITIES;

export type Capability = { id: CapabilityId; present: boolean; detail: string };
export type Capabilities = { baseUrl: string; list: Capability[] };

export const ENV_KEY = 'PRESSURE_CAPABILITIES';

export const has = (c: Capabilities, id: CapabilityId) => c.list.some((x) => x.id === id && x.present);
export const absentIds = (c: Capabilities): Set<string> => new Set(c.list.filter((x) => !x.present).map((x) => x.id));

export type ProbeOptions = {
  baseUrl: string;
  healthPath: string;
  metricsPath: string;
  serviceToken: string;
  databaseUrl: string | undefined;
  /** More paths whose responses may carry evidence headers (an unauthenticated call answers too). */
  probePaths?: string[];
  timeoutMs?: number;
};

type Seen = { path: string; status: number; headers: Headers; body: string };

async function get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<Seen | Error> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    return { path: new URL(url).pathname, status: res.status, headers: res.headers, body: (await res.text()).slice(0, 4000) };
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return new Error(cause?.code ?? cause?.message ?? (e as Error).message);
  }
}

/**
 * Whether the backend answers at all (any status of its health endpoint) within `timeoutMs`:
 * asked before work that would otherwise wait minutes on a backend that froze (teardown after a
 * stall). True, or why not.
 */
export async function answers(baseUrl: string, healthPath: string, timeoutMs = 5_000): Promise<true | string> {
  const seen = await get(`${baseUrl.replace(/\/$/, '')}${healthPath}`, {}, timeoutMs);
  if (!(seen instanceof Error)) return true;
  return /abort|timeout/i.test(seen.message) ? `no answer to ${healthPath} within ${timeoutMs / 1000} s` : `${healthPath}: ${seen.message}`;
}

/** The backend's database as it reports it in its health body (`database`), on the DATABASE_URL server. */
export function servedDatabase(databaseUrl: string, healthBody: string | undefined): string {
  try {
    const name = (JSON.parse(healthBody ?? '{}') as { database?: unknown }).database;
    if (typeof name === 'string' && /^[A-Za-z0-9_]+$/.test(name)) return withDatabase(databaseUrl, name);
  } catch {
    /* not JSON: the configured database */
  }
  return databaseUrl;
}

/**
 * Asks the backend what it offers. Throws only when it does not answer at all (nothing can be
 * tested then); everything else is a line of the table.
 */
export async function probeCapabilities(o: ProbeOptions): Promise<Capabilities> {
  const timeout = o.timeoutMs ?? 15_000;
  const url = (p: string) => `${o.baseUrl}${p}`;
  const list: Capability[] = [];
  const add = (id: CapabilityId, present: boolean, detail: string) => list.push({ id, present, detail });

  const health = await get(url(o.healthPath), {}, timeout);
  const root = await get(url('/'), {}, timeout);
  if (health instanceof Error && root instanceof Error) {
    throw new Error(`the backend at ${o.baseUrl} does not answer: GET ${o.healthPath} → ${health.message}\nRecommended fix: start it, or correct BASE_URL (with its path prefix, if it has one).`);
  }
  add(
    'health',
    !(health instanceof Error) && health.status >= 200 && health.status < 300,
    health instanceof Error ? health.message : `GET ${o.healthPath} → ${health.status}${health.status === 404 ? " (set HEALTH_PATH to the backend's own)" : ''}`,
  );

  const probes = [health, root, ...(await Promise.all((o.probePaths ?? []).map((p) => get(url(p), {}, timeout))))].filter((r): r is Seen => !(r instanceof Error));
  const carrying = (h: string) => probes.find((r) => r.headers.get(h) !== null);
  const qc = carrying(EVIDENCE_HEADERS.queryCount);
  const qcValue = qc?.headers.get(EVIDENCE_HEADERS.queryCount);
  add(
    'queryCount',
    qcValue !== undefined && qcValue !== null && /^\d+$/.test(qcValue),
    qc ? `${qc.path}: ${EVIDENCE_HEADERS.queryCount}: ${qcValue}` : `no response carried ${EVIDENCE_HEADERS.queryCount}`,
  );
  const st = probes.find((r) => /(^|,)\s*db\s*;[^,]*dur=/.test(r.headers.get(EVIDENCE_HEADERS.serverTiming) ?? ''));
  add('serverTiming', st !== undefined, st ? `${st.path}: ${st.headers.get(EVIDENCE_HEADERS.serverTiming)}` : `no response carried ${EVIDENCE_HEADERS.serverTiming} with db;dur`);
  const rid = carrying(EVIDENCE_HEADERS.requestId);
  add('requestId', rid !== undefined, rid ? `${rid.path}: ${EVIDENCE_HEADERS.requestId}` : `no response carried ${EVIDENCE_HEADERS.requestId}`);

  const runs = await get(url(RUN_ENDPOINTS.runRows('capability-probe')), { [SERVICE_TOKEN_HEADER]: o.serviceToken }, timeout);
  const runsRoute = `GET ${RUN_ENDPOINTS.prefix}/runs/:runId`;
  if (runs instanceof Error) add('testEndpoints', false, runs.message);
  else if (runs.status === 200) add('testEndpoints', true, `${runsRoute} → 200`);
  else if (runs.status === 401 || runs.status === 403) add('testEndpoints', false, `${runsRoute} → ${runs.status}: the backend refused the service token (check TEST_SERVICE_TOKEN)`);
  else add('testEndpoints', false, `${runsRoute} → ${runs.status}`);

  const metrics = await get(url(o.metricsPath), {}, timeout);
  const isProm = !(metrics instanceof Error) && metrics.status === 200 && /^# (TYPE|HELP) /m.test(metrics.body);
  add('metrics', isProm, metrics instanceof Error ? metrics.message : `GET ${o.metricsPath} → ${metrics.status}${metrics.status === 200 && !isProm ? ' (not Prometheus text)' : ''}`);

  if (!o.databaseUrl) {
    add('database', false, 'DATABASE_URL is not set');
    add('statementStats', false, 'needs DATABASE_URL');
  } else {
    const served = servedDatabase(o.databaseUrl, health instanceof Error ? undefined : health.body);
    try {
      // The extension reads shared memory that only a preloaded library sets up: installed but not
      // preloaded, every query of its view fails. Both are asked, so the fix names the missing step.
      const { ext, preloaded } = await withClient(served, async (c) => {
        const r = await c.query<{ ext: number; libs: string }>(
          `SELECT (SELECT count(*)::int FROM pg_extension WHERE extname = 'pg_stat_statements') AS ext, current_setting('shared_preload_libraries') AS libs`,
        );
        return { ext: r.rows[0]!.ext, preloaded: /(^|[\s,])"?pg_stat_statements"?($|[\s,])/.test(r.rows[0]!.libs) };
      });
      add('database', true, `${redactUrl(withDatabase(o.databaseUrl, databaseOf(served)))}`);
      add(
        'statementStats',
        ext > 0 && preloaded,
        ext > 0 && preloaded
          ? 'extension installed and preloaded'
          : !preloaded
            ? `pg_stat_statements is not in shared_preload_libraries${ext > 0 ? ' (the extension is installed, but its view cannot be read)' : ''}`
            : 'preloaded, but the extension is not installed in the served database',
      );
    } catch (e) {
      add('database', false, `${redactUrl(served)}: ${(e as Error).message.split('\n')[0]}`);
      add('statementStats', false, 'needs a reachable database');
    }
  }
  return { baseUrl: o.baseUrl, list };
}

/**
 * How to switch each capability on, step by step: what `pressure doctor` prints under an absent
 * one. Generic: any backend, any framework; the header names are the contract's.
 */
export const CAPABILITY_FIXES: Record<CapabilityId, string[]> = {
  health: ['Serve a cheap readiness route that answers 2xx (GET /healthz, /health or /ping are common), and name it with HEALTH_PATH=/your/path.'],
  queryCount: [`Count the database queries each request runs and send the count as ${EVIDENCE_HEADERS.queryCount}: <n> (wrap the pool's query function per request; send it in an onSend/after hook).`],
  serverTiming: [`Time the database calls of each request and send ${EVIDENCE_HEADERS.serverTiming}: db;dur=<ms>.`],
  requestId: [`Send ${EVIDENCE_HEADERS.requestId} on every response (most frameworks have a request-id plugin), and write it in every log line.`],
  testEndpoints: [
    `Serve the run endpoints under ${RUN_ENDPOINTS.prefix} (cleanup by run ID, reaping), guarded by the ${SERVICE_TOKEN_HEADER} header; see the package's contract (pressure-harness/contract).`,
    'Without them the harness seeds and cleans up through SQL (DATABASE_URL) or the public API.',
  ],
  metrics: ["Serve Prometheus text at METRICS_PATH (default /metrics), for example with prom-client's collectDefaultMetrics() plus your pool and in-flight gauges."],
  database: ['Set DATABASE_URL to the PostgreSQL the backend uses, with a role that may read pg_stat_* views (pg_read_all_stats) and write the seeded tables.'],
  statementStats: [
    "Add the library to PostgreSQL's preload list: ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements' (keep any library already listed there), or the same line in postgresql.conf.",
    'Restart PostgreSQL: a preload library is read only at start (pg_ctl restart, or restart the container or service).',
    'In the database the backend uses: CREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
  ],
};

/** The table setup prints: one line per capability, present or absent, and what it enables. */
export function formatCapabilities(c: Capabilities): string {
  const rows = c.list.map((x) => [x.present ? 'present' : 'n/a', CAPABILITIES[x.id].name, x.present ? CAPABILITIES[x.id].enables : `absent: ${x.detail}`]);
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  return [`capabilities of ${c.baseUrl}:`, ...rows.map((r) => `  ${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]}`)].join('\n');
}

/** One error naming every required capability that is absent, or nothing. */
export function missingRequired(c: Capabilities, required: readonly CapabilityId[]): string | undefined {
  const missing = c.list.filter((x) => required.includes(x.id) && !x.present);
  if (!missing.length) return undefined;
  return `the backend at ${c.baseUrl} lacks what this suite requires:\n${missing.map((x) => `  - ${CAPABILITIES[x.id].name}: ${x.detail}`).join('\n')}\nRecommended fix: offer it in the backend, or remove it from the suite's required capabilities.`;
}

/** The run's capabilities, as global setup left them for every process of the run. */
export function capabilitiesFromEnv(env: NodeJS.ProcessEnv = process.env): Capabilities | undefined {
  const raw = env[ENV_KEY];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Capabilities;
  } catch {
    return undefined;
  }
}
