/**
 * app/ fuzzed from its own OpenAPI document (GET /openapi.json, from the route schemas):
 * FUZZ_REQUESTS requests (6,000 in npm test) generated with fast-check from FUZZ_SEED, valid
 * and broken in one named place, to every public and internal endpoint. Properties:
 *   - no status >= 500, whatever the request;
 *   - every error is { code, message }, and a body error names the field that was broken;
 *   - nothing half-written: a refused write leaves the caller's rows as they were;
 *   - tenants stay apart: another tenant's ids never give a 2xx, and its rows never change.
 * Four lanes (accounts of their own, in run namespaces of their own) run side by side.
 */
import fc from 'fast-check';
import { request } from 'undici';
import { type GeneratedRequest, operationsOf, requests, sampleRequests } from 'pressure-harness/fuzz';
import { expect, test } from '../../fixtures';
import { buildAccount, TINY_ACCOUNT } from '../../seed/factories.js';

/** Its cost is its spec by design (a million-item whale is a valid request): seeded by perf tests, not fuzzed. */
const EXCLUDED = new Set(['POST /internal/test/seedWhaleAccount']);
const LANES = 4;
/** Written later by app/'s job workers after a successful write, not by the request itself. */
const ASYNC_TABLES = ['notifications', 'search_documents'];
const syncRows = (rows: Record<string, number>) => JSON.stringify(Object.fromEntries(Object.entries(rows).filter(([t]) => !ASYNC_TABLES.includes(t))));

type Ids = { projects: string[]; items: string[]; comments: string[] };

test('should answer every generated request within the error contract, never 5xx, writing nothing it refuses, tenants apart', async ({ seedClient, run, serviceToken, fuzz }, testInfo) => {
  test.setTimeout(Math.max(120_000, fuzz.requests * 20));
  const base = testInfo.project.use.baseURL!;
  // The test endpoints are described only to their own callers: loopback, with the service token.
  const doc = (await (await fetch(`${base}/openapi.json`, { headers: { 'x-test-service-token': serviceToken } })).json()) as Parameters<typeof operationsOf>[0];
  const ops = operationsOf(doc, (m, p) => !EXCLUDED.has(`${m} ${p}`));
  expect(ops.length, 'operations in the OpenAPI document').toBeGreaterThan(25);

  // Tenants, each in a run namespace of its own so that its rows can be counted exactly.
  const tenant = async (name: string) => {
    const runId = `${run.runId}-fz-${name}`;
    const seeded = await seedClient.seedAccount(
      buildAccount({ seed: run.seed, runId, ttlSeconds: 3600, path: `fuzz/${name}`, shape: { ...TINY_ACCOUNT, projects: 2, itemsPerProject: 3, commentDepth: 2 } }),
    );
    const auth = { authorization: `Bearer ${seeded.token}` };
    const get = async (p: string) => (await (await fetch(`${base}${p}`, { headers: auth })).json()) as { data: { id: string }[] };
    const items = (await Promise.all(seeded.projectIds.map((p) => get(`/v1/projects/${p}/items`)))).flatMap((r) => r.data.map((i) => i.id));
    const comments = (await Promise.all(items.map((i) => get(`/v1/items/${i}/comments`)))).flatMap((r) => r.data.map((c) => c.id));
    return { runId, token: seeded.token, accountId: seeded.account.id, ids: { projects: seeded.projectIds, items, comments } as Ids };
  };
  const victim = await tenant('victim');
  const lanes = await Promise.all(Array.from({ length: LANES }, (_, k) => tenant(`lane${k}`)));
  const victimIds = new Set([...victim.ids.projects, ...victim.ids.items, ...victim.ids.comments]);
  // Ids are per table: /v1/projects/926 names the victim only if 926 is one of its projects (a
  // project of the lane's own may share the number with one of the victim's comments).
  const victimIdsOf: Record<string, Set<string>> = { projects: new Set(victim.ids.projects), items: new Set(victim.ids.items), comments: new Set(victim.ids.comments) };
  const namesVictim = (urlPath: string) => urlPath.split('/').some((seg, i, all) => i > 0 && victimIdsOf[all[i - 1]!]?.has(seg) === true);
  const victimView = async () =>
    JSON.stringify(await Promise.all(victim.ids.projects.map(async (p) => (await fetch(`${base}/v1/projects/${p}/items`, { headers: { authorization: `Bearer ${victim.token}` } })).json())));
  const [victimRowsBefore, victimViewBefore] = [(await seedClient.runRows(victim.runId)).rows, await victimView()];

  const statuses: Record<string, number> = {};
  const violations: string[] = [];
  const started = performance.now();
  const perLane = Math.ceil(fuzz.requests / LANES);
  await Promise.all(
    lanes.map(async (lane, k) => {
      const own = [...lane.ids.projects, ...lane.ids.items, ...lane.ids.comments];
      const ids = (name: string) =>
        name === 'runId'
          ? fc.constant(lane.runId)
          : name === 'id'
            ? fc.oneof(
                { weight: 6, arbitrary: fc.constantFrom(...own) },
                { weight: 2, arbitrary: fc.constantFrom(...victimIds) },
                { weight: 1, arbitrary: fc.constantFrom('0', 'abc', '999999999999999999', '1.5', '-1') },
              )
            : fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
      // Run IDs anywhere in a request are the lane's, so what the fuzz writes through test
      // endpoints stays in its namespace, and lives long enough that no reap (also fuzzed)
      // removes it mid-run. Cleanup and reaping act on a scratch run of the lane, never its own
      // (dropping the lane's partitions would make every later seed create them again).
      const fix = (r: GeneratedRequest): GeneratedRequest => {
        const scratch = r.path.startsWith('/internal/test/cleanup');
        const query = 'runId' in r.query ? { ...r.query, runId: scratch ? `${lane.runId}-scratch` : lane.runId } : r.query;
        let body = r.body;
        if (body?.includes('"runId"')) {
          try {
            const parsed = JSON.parse(body) as { ttlSeconds?: unknown };
            body = JSON.stringify({ ...parsed, runId: lane.runId, ...(typeof parsed.ttlSeconds === 'number' && { ttlSeconds: Math.max(parsed.ttlSeconds, 3600) }) });
          } catch {
            /* malformed on purpose */
          }
        }
        // A broken run ID was put right again: the request is no longer broken there.
        const mutation = r.mutation.field === 'runId' || r.mutation.field === 'ttlSeconds' ? { kind: 'none', where: 'none' as const } : r.mutation;
        return { ...r, query, mutation, ...(body !== undefined && { body }) };
      };
      const batch = sampleRequests(requests(ops, { ids, fix }), perLane, fuzz.seed + k);
      let rows = syncRows((await seedClient.runRows(lane.runId)).rows);
      for (const r of batch) {
        const internal = r.path.startsWith('/internal/');
        const dropAuth = r.mutation.kind === 'none' && r.path.length % 17 === 0; // now and then, no credentials at all
        const headers = { ...r.headers, ...(dropAuth ? {} : internal ? { 'x-test-service-token': serviceToken } : { authorization: `Bearer ${lane.token}` }) };
        const qs = new URLSearchParams(r.query).toString();
        const res = await request(`${base}${r.path}${qs ? `?${qs}` : ''}`, { method: r.method as 'GET', headers, ...(r.body !== undefined && { body: r.body }) });
        const text = await res.body.text();
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        const what = `${r.method} ${r.path}${qs ? `?${qs}` : ''} (${r.mutation.kind}${r.mutation.field ? ` of ${r.mutation.field}` : ''}) → ${res.statusCode} ${text.slice(0, 200)}`;
        if (res.statusCode >= 500) violations.push(`5xx: ${what}`);
        if (res.statusCode >= 400) {
          let body: { code?: unknown; message?: unknown; details?: { field?: unknown } } = {};
          try {
            body = JSON.parse(text) as typeof body;
          } catch {
            /* reported below */
          }
          if (typeof body.code !== 'string' || typeof body.message !== 'string' || !body.message) violations.push(`not { code, message }: ${what}`);
          else if (
            res.statusCode === 400 &&
            r.mutation.where === 'body' &&
            r.mutation.field &&
            body.message.startsWith('body') &&
            !`${body.message} ${String(body.details?.field ?? '')}`.includes(r.mutation.field)
          ) {
            violations.push(`does not name ${r.mutation.field}: ${what}`);
          }
        }
        if (!internal && !dropAuth && res.statusCode < 300 && namesVictim(r.path)) violations.push(`another tenant's id answered ${res.statusCode}: ${what}`);
        if (r.method !== 'GET') {
          const now = syncRows((await seedClient.runRows(lane.runId)).rows);
          if (res.statusCode >= 400 && now !== rows) violations.push(`half-written (${rows} → ${now}): ${what}`);
          rows = now;
        }
        if (violations.length >= 20) break;
      }
    }),
  );
  const seconds = +((performance.now() - started) / 1000).toFixed(1);
  const sent = Object.values(statuses).reduce((a, b) => a + b, 0);
  const victimRowsAfter = (await seedClient.runRows(victim.runId)).rows;
  if (JSON.stringify(victimRowsAfter) !== JSON.stringify(victimRowsBefore))
    violations.push(`the other tenant's rows changed: ${JSON.stringify(victimRowsBefore)} → ${JSON.stringify(victimRowsAfter)}`);
  if ((await victimView()) !== victimViewBefore) violations.push("the other tenant's items changed");
  for (const t of [victim, ...lanes]) await seedClient.cleanup(t.runId);

  const figures = { requests: sent, seconds, seed: fuzz.seed, operations: ops.length, statuses };
  await testInfo.attach('fuzz figures', { body: JSON.stringify(figures, null, 2), contentType: 'application/json' });
  testInfo.annotations.push({ type: 'fuzz', description: `${sent} requests in ${seconds} s (seed ${fuzz.seed}); statuses ${JSON.stringify(statuses)}` });
  process.stderr.write(`fuzz: ${sent} requests to ${ops.length} operations in ${seconds} s, seed ${fuzz.seed}; statuses ${JSON.stringify(statuses)}\n`);
  expect(violations, `fuzz seed ${fuzz.seed}: replay with FUZZ_SEED=${fuzz.seed} FUZZ_REQUESTS=${fuzz.requests}`).toEqual([]);
  expect(sent).toBeGreaterThanOrEqual(fuzz.requests);
});
