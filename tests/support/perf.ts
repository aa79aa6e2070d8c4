/** Pieces several perf scenarios share: the whale they load, and the mixed workload. */
import { request } from 'undici';
import type { SeedWhale } from '../../fixtures';
import type { RequestSpec } from 'pressure-harness/load';
import type { SeededDataset } from '../../seed/dataset.js';

export type Whale = { accountId: string; auth: Record<string, string>; source: string };

/**
 * The dataset's whale when the profile has one (small and up); otherwise (smoke) one seeded for
 * the test: 200 projects, enough that a per-project query would show in the query count.
 */
export async function dashboardWhale(dataset: SeededDataset, seedWhale: SeedWhale): Promise<Whale> {
  const own = dataset.accounts.find((a) => a.tier === 'whale');
  if (own) return { accountId: own.id, auth: { authorization: `Bearer ${own.token}` }, source: `dataset account ${own.index}` };
  const seeded = await seedWhale(
    'dashboard-whale',
    Array.from({ length: 200 }, (_, k) => 1 + (k % 5)),
    { commentDepth: 2 },
  );
  return { accountId: seeded.id, auth: { authorization: `Bearer ${seeded.token}` }, source: 'seeded for the scenario: 200 projects' };
}

/** A GET the scenario needs before measuring; anything but 200 is an error naming the path and the body. */
export async function getJson<T>(baseUrl: string, path: string, headers: Record<string, string>): Promise<T> {
  const res = await request(`${baseUrl}${path}`, { headers });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}: ${body.slice(0, 300)}`);
  return JSON.parse(body) as T;
}

/**
 * The mixed workload of the ramp and soak packs, over the dataset's tenants: half dashboards,
 * a third item listings, the rest item creations (which enqueue background work).
 */
export async function mixedWorkload(dataset: SeededDataset, baseUrl: string): Promise<() => RequestSpec> {
  const tenants = await Promise.all(
    dataset.accounts.map(async (a) => {
      const auth = { authorization: `Bearer ${a.token}` };
      const projects = await getJson<{ data: { id: string }[] }>(baseUrl, '/v1/projects?limit=20', auth);
      return { auth, projects: projects.data.map((p) => p.id) };
    }),
  );
  const withProjects = tenants.filter((t) => t.projects.length);
  if (!withProjects.length) throw new Error('mixed workload: no account of the dataset has a project');
  let k = 0;
  return () => {
    const n = k++;
    const t = withProjects[n % withProjects.length]!;
    const project = t.projects[Math.floor(n / withProjects.length) % t.projects.length]!;
    const slot = n % 6;
    if (slot < 3) return { route: 'GET /v1/dashboard', path: '/v1/dashboard', headers: t.auth };
    if (slot < 5) return { route: 'GET /v1/projects/:id/items', path: `/v1/projects/${project}/items?limit=50`, headers: t.auth };
    return {
      route: 'POST /v1/projects/:id/items',
      method: 'POST',
      path: `/v1/projects/${project}/items`,
      headers: { ...t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ title: `mix item ${n}`, body: 'written by the mixed workload' }),
    };
  };
}
