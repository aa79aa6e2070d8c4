/** articles.whale_feed: an author's feed, for a whale (2,000+ articles) and a small author, interleaved: a whale must cost what a small author costs. */
import { authHeaders } from 'pressure-harness/fixtures';
import { timelineOf } from 'pressure-harness/load';
import { runVariants } from 'pressure-harness/load';
import { test } from '../../fixtures.js';

const ID = 'articles.whale_feed';

test(ID, async ({ perf, dataset, authScheme }) => {
  const whale = dataset.authors.find((a) => a.tier === 'whale')!;
  const small = dataset.authors.find((a) => a.tier === 'small' && a.articles.length)!;
  const feed = (a: typeof whale) => () => ({ path: `/articles?author=${encodeURIComponent(a.username)}&limit=20`, headers: authHeaders(authScheme, a.token) });
  await perf.scenario(ID, async () => {
    const run = await test.step(ID, () => runVariants({ whale: feed(whale), small: feed(small) }, { baseUrl: perf.baseUrl, concurrency: 4, perVariant: 300 }));
    return { routes: run.routes, wallMs: run.wallMs, timeline: timelineOf(run, 0, 4) };
  });
});
