/** articles.deep_pagination: the whale's articles paged with LIMIT/OFFSET, page 1 beside a page deep in the history. */
import { timelineOf } from 'pressure-harness/load';
import { runVariants } from 'pressure-harness/load';
import { test } from '../../fixtures.js';

const ID = 'articles.deep_pagination';

test(ID, async ({ perf, dataset }) => {
  const whale = dataset.authors.find((a) => a.tier === 'whale')!;
  const at = (offset: number) => () => ({ path: `/articles?author=${encodeURIComponent(whale.username)}&limit=20&offset=${offset}` });
  await perf.scenario(ID, async () => {
    const run = await test.step(ID, () => runVariants({ page_1: at(0), deep: at(1980) }, { baseUrl: perf.baseUrl, concurrency: 2, perVariant: 200 }));
    return { routes: run.routes, wallMs: run.wallMs, timeline: timelineOf(run, 0, 2) };
  });
});
