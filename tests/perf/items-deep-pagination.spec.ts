/**
 * items.deep_pagination: a project's item history walked deep. Keyset pages (?after=) must cost
 * the same at page 500 as at page 1, and the same in a 50,000-item project as in a 50-item one;
 * the OFFSET variant the app also offers (?page=) is measured beside it, to show what it costs.
 * The scenario seeds the deep project it needs (server-side, a few seconds).
 */
import { request } from 'undici';
import { expect, test } from '../../fixtures';
import { timelineOf } from 'pressure-harness/load';
import { runVariants } from 'pressure-harness/load';

const ID = 'items.deep_pagination';
const DEEP_ITEMS = 50_000;
const PAGE = 50;
const DEPTH = 500;

type Page = { data: { id: string }[]; nextCursor: string | null; nextPage?: number | null };

test(ID, async ({ perf, seedWhale }) => {
  const owner = await seedWhale('deep-project', [DEEP_ITEMS, PAGE]);
  const auth = { authorization: `Bearer ${owner.token}` };
  const get = async (path: string) => {
    const res = await request(`${perf.baseUrl}${path}`, { headers: auth });
    const text = await res.body.text();
    expect(res.statusCode, `GET ${path}: ${text.slice(0, 200)}`).toBe(200);
    return JSON.parse(text) as Page & { projects?: { id: string; itemCounts: { total: number } }[] };
  };
  const dash = await get('/v1/dashboard');
  const deep = dash.projects!.find((p) => p.itemCounts.total === DEEP_ITEMS)!.id;
  const small = dash.projects!.find((p) => p.itemCounts.total === PAGE)!.id;

  // The walk to page 500, as an export pages through the history: 200 items a request, so that
  // the cursor after page 499 of 50 (item 24,950) costs 125 requests, not 499, however slow a
  // page is. Timed every 2,500 items.
  const walk: { page: number; ms: number }[] = [];
  let cursor: string | null = null;
  const WALK = 200;
  await test.step('keyset walk to page 500', async () => {
    const total = (DEPTH - 1) * PAGE;
    for (let done = 0; done < total;) {
      const limit = Math.min(WALK, total - done);
      const t = performance.now();
      const body: Page = await get(`/v1/projects/${deep}/items?limit=${limit}${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`);
      const ms = +(performance.now() - t).toFixed(2);
      if (done === 0 || (done + limit) % 2_500 === 0) walk.push({ page: (done + limit) / PAGE, ms });
      expect(body.data).toHaveLength(limit);
      cursor = body.nextCursor;
      expect(cursor, `item ${done + limit} of ${DEEP_ITEMS} has a next page`).not.toBeNull();
      done += limit;
    }
  });
  const at500 = cursor!;
  const [keysetRows, offsetRows] = [await get(`/v1/projects/${deep}/items?limit=${PAGE}&after=${encodeURIComponent(at500)}`), await get(`/v1/projects/${deep}/items?limit=${PAGE}&page=${DEPTH}`)];
  expect(
    keysetRows.data.map((r) => r.id),
    'keyset page 500 and OFFSET page 500 are the same rows',
  ).toEqual(offsetRows.data.map((r) => r.id));

  const variants = {
    keyset_page_1: () => ({ path: `/v1/projects/${deep}/items?limit=${PAGE}`, headers: auth }),
    keyset_page_500: () => ({ path: `/v1/projects/${deep}/items?limit=${PAGE}&after=${encodeURIComponent(at500)}`, headers: auth }),
    offset_page_1: () => ({ path: `/v1/projects/${deep}/items?limit=${PAGE}&page=1`, headers: auth }),
    offset_page_500: () => ({ path: `/v1/projects/${deep}/items?limit=${PAGE}&page=${DEPTH}`, headers: auth }),
    small_project_page_1: () => ({ path: `/v1/projects/${small}/items?limit=${PAGE}`, headers: auth }),
  };
  await perf.scenario(ID, async () => {
    // Bounded in time as in count: a clean app serves the 600 in a few seconds.
    const run = await test.step(ID, () => runVariants(variants, { baseUrl: perf.baseUrl, concurrency: 2, perVariant: 120, maxRuntimeMs: 20_000 }));
    return {
      routes: run.routes,
      wallMs: run.wallMs,
      timeline: timelineOf(run, 0, 2),
      details: { walk, deepItems: DEEP_ITEMS, pageSize: PAGE },
      // Each variant alone afterwards, for PostgreSQL's statements per variant.
      variants,
      // The same page asked of more data: nothing may grow but what OFFSET is known to cost.
      probes: [
        { dimension: 'items in the project', small: { variant: 'small_project_page_1', size: PAGE }, large: { variant: 'keyset_page_1', size: DEEP_ITEMS } },
        { dimension: 'page number (keyset)', small: { variant: 'keyset_page_1', size: 1 }, large: { variant: 'keyset_page_500', size: DEPTH } },
        {
          dimension: 'page number (OFFSET)',
          small: { variant: 'offset_page_1', size: 1 },
          large: { variant: 'offset_page_500', size: DEPTH },
          grows: Object.fromEntries(
            ['latency_ms', 'service_ms', 'db_ms'].map((m) => [
              m,
              'OFFSET reads and discards every row before the page; the app keeps ?page= for old clients, and ?after= is the path that must stay flat',
            ]),
          ),
        },
      ],
    };
  });
});
