/**
 * projects.hot_update: many clients update one shared project at once, with optimistic
 * concurrency (If-Match). A 409 hands back the current version (ETag) and the client retries.
 * No update may be lost: the version counter must have moved exactly once per success. Lock
 * waits come from the app's Server-Timing (lock;dur).
 */
import { request } from 'undici';
import { expect, test } from '../../fixtures';
import { timelineOf } from 'pressure-harness/load';
import { runVariants } from 'pressure-harness/load';

const ID = 'projects.hot_update';
const CLIENTS = 8;
const UPDATES = 400;

test(ID, async ({ perf, createAccount }) => {
  await perf.scenario(ID, async (attempt) => {
    const account = await createAccount({ projects: 1, itemsPerProject: 0, commentDepth: 0, attachmentRate: 0, tagsPerItem: 0 });
    const project = account.projectIds[0]!;
    const auth = { authorization: `Bearer ${account.token}` };
    const version = async () => {
      const res = await request(`${perf.baseUrl}/v1/projects/${project}`, { headers: auth });
      return ((await res.body.json()) as { version: number }).version;
    };
    const before = await version();
    let known = before;
    let k = 0;
    const run = await test.step(ID, () =>
      runVariants(
        {
          update: () => ({
            method: 'PATCH',
            path: `/v1/projects/${project}`,
            headers: { ...auth, 'content-type': 'application/json', 'if-match': `"${known}"` },
            body: JSON.stringify({ description: `update ${attempt}.${k++}` }),
          }),
        },
        {
          baseUrl: perf.baseUrl,
          concurrency: CLIENTS,
          perVariant: UPDATES,
          // Bounded in time as in count: a clean app does the 400 in about a second; one whose
          // updates queue (a lock held across a slow call) stops here, the verdict already clear.
          maxRuntimeMs: 20_000,
          // Success or conflict, the ETag is the version to send next.
          observe: (_spec, res) => {
            const m = /"(\d+)"/.exec(String(res.headers.etag ?? ''));
            if (m) known = Math.max(known, Number(m[1]));
          },
        },
      ),
    );
    const succeeded = run.routes.update?.statuses[200] ?? 0;
    const conflicts = run.routes.update?.statuses[409] ?? 0;
    const after = await version();
    // Cut off by the time guard, up to one update per client was in flight: the server may have
    // applied it after the client stopped listening. Fewer moves than successes is a lost update.
    const cutOff = run.stoppedBy.startsWith('guard: maxRuntimeMs') ? CLIENTS : 0;
    expect(after - before, `no lost update: the version moved once per successful update (${succeeded} of ${run.requests})`).toBeGreaterThanOrEqual(succeeded);
    expect(after - before, `and at most once more per update cut off in flight (${cutOff})`).toBeLessThanOrEqual(succeeded + cutOff);
    return {
      routes: run.routes,
      wallMs: run.wallMs,
      expected: [409],
      timeline: timelineOf(run, 0, CLIENTS),
      details: { clients: CLIENTS, succeeded, conflicts, retries: conflicts, versionBefore: before, versionAfter: after },
    };
  });
});
