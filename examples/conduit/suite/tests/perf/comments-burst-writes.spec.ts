/** comments.burst_writes: comments posted at a fixed rate (open model: latency from each intended start) on a small author's article. */
import { authHeaders } from 'pressure-harness/fixtures';
import { runBurst } from 'pressure-harness/load';
import { timelineOf } from 'pressure-harness/load';
import { test } from '../../fixtures.js';

const ID = 'comments.burst_writes';
const [RATE, SECONDS] = [40, 5];

test(ID, async ({ perf, dataset, authScheme }) => {
  const author = dataset.authors.find((a) => a.articles.length)!;
  let n = 0;
  await perf.scenario(ID, async () => {
    const run = await test.step(ID, () =>
      runBurst({
        baseUrl: perf.baseUrl,
        rate: RATE,
        seconds: SECONDS,
        next: () => ({
          route: 'POST /articles/:slug/comments',
          method: 'POST',
          path: `/articles/${author.articles[0]}/comments`,
          headers: { ...authHeaders(authScheme, author.token), 'content-type': 'application/json' },
          body: JSON.stringify({ comment: { body: `burst comment ${n++}` } }),
        }),
      }),
    );
    return { routes: run.routes, wallMs: run.wallMs, timeline: timelineOf(run) };
  });
});
