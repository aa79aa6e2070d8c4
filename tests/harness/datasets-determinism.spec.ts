import { expect, test } from '../../fixtures';
import { generateDataset, planDataset } from '../../seed/dataset';
import { digestRun } from '../../seed/digest';
import { verifyAccountReferences } from '../../app/sql/partitions';
import type { DatasetKnobs } from '../../seed/profiles';
import pg from 'pg';

/** Small, but with every path: JSON accounts, one whale generated server-side, all knobs on. */
const KNOBS: DatasetKnobs = {
  accounts: 12,
  projectsPerAccount: [
    { label: 'small', share: 0.75, min: 1, max: 3 },
    { label: 'mid', share: 0.17, min: 4, max: 8 },
    { label: 'whale', share: 0.08, min: 30, max: 40 },
  ],
  itemsPerProject: { p50: 6, p95: 40, max: 120 },
  attachmentRate: 0.25,
  commentDepth: 2,
  tagsPerItem: 2,
};

test.describe('generated datasets', () => {
  test.skip(({ referenceApp }) => !referenceApp, 'reads the reference app database directly');

  test('should hold identical content for the same seed, other content for another seed, and follow the plan', async ({ seedClient, run, verifyDatabaseUrl }) => {
    test.setTimeout(120_000);
    const runs = { a: `${run.runId}-det-a`, b: `${run.runId}-det-b`, c: `${run.runId}-det-c` };
    try {
      const seeds = { a: 'determinism', b: 'determinism', c: 'determinism-other' };
      const made = {} as Record<'a' | 'b' | 'c', Awaited<ReturnType<typeof generateDataset>>>;
      for (const k of ['a', 'b', 'c'] as const) {
        made[k] = await generateDataset(seedClient, { seed: seeds[k], runId: runs[k], ttlSeconds: 600, profile: 'custom', knobs: KNOBS, concurrency: 2 });
      }
      expect(made.a.accounts.filter((a) => a.tier === 'whale')).toHaveLength(1);

      const [a, b, c] = await Promise.all([digestRun(verifyDatabaseUrl!, runs.a), digestRun(verifyDatabaseUrl!, runs.b), digestRun(verifyDatabaseUrl!, runs.c)]);
      for (const t of ['projects', 'items', 'comments', 'attachments', 'tags', 'item_tags']) expect(a[t]!.rows, t).toBeGreaterThan(0);
      expect(b).toEqual(a);
      const differing = Object.keys(a).filter((t) => a[t]!.md5 !== c[t]!.md5);
      // Only the token rows (one per account, named by path) may coincide across seeds.
      expect(differing.sort()).toEqual(['accounts', 'attachments', 'comments', 'item_tags', 'items', 'projects', 'tags']);

      // The data is the plan: every account has exactly its planned item counts per project.
      const db = new pg.Client({ connectionString: verifyDatabaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ email: string; counts: number[] }>(
          `SELECT a.email, array_agg((SELECT count(*)::int FROM items i WHERE i.project_id = p.id) ORDER BY 1) AS counts
             FROM accounts a JOIN projects p ON p.account_id = a.id WHERE a.test_run_id = $1 GROUP BY a.email`,
          [runs.a],
        );
        const written = Object.fromEntries(rows.map((r) => [Number(/accounts-(\d+)@/.exec(r.email)![1]), [...r.counts].sort((x, y) => x - y)]));
        const planned = Object.fromEntries(planDataset('determinism', KNOBS).map((p) => [p.index, [...p.itemCounts].sort((x, y) => x - y)]));
        expect(written).toEqual(planned);
        // Seeding may skip per-row foreign-key triggers (bulk load): every key must hold anyway.
        for (const account of made.a.accounts) await verifyAccountReferences(db, runs.a, account.id);
      } finally {
        await db.end();
      }
    } finally {
      for (const r of Object.values(runs)) await seedClient.cleanup(r);
    }
  });
});

test.describe('bulk-loaded references', () => {
  test.skip(({ referenceApp, verifyDatabaseUrl }) => !referenceApp || !verifyDatabaseUrl, 'writes a broken row directly in the database');

  test('should be caught by the set-based check when one is broken', async ({ seedClient, run, verifyDatabaseUrl }) => {
    const runId = `${run.runId}-broken`;
    const db = new pg.Client({ connectionString: verifyDatabaseUrl });
    await db.connect();
    try {
      const su = (await db.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user')).rows[0]!.su;
      test.skip(!su, 'bulk loading needs a superuser; without one the per-row foreign-key triggers stay on');
      const seeded = await generateDataset(seedClient, {
        seed: 'broken',
        runId,
        ttlSeconds: 600,
        profile: 'custom',
        knobs: { ...KNOBS, accounts: 1, projectsPerAccount: [{ label: 'small', share: 1, min: 1, max: 1 }] },
      });
      const account = seeded.accounts[0]!.id;
      await verifyAccountReferences(db, runId, account); // intact
      // What a bulk load with a bug would leave: a comment on an item that does not exist.
      await db.query('BEGIN');
      await db.query('SET LOCAL session_replication_role = replica');
      await db.query(`INSERT INTO comments (test_run_id, expires_at, account_id, item_id, author, body) VALUES ($1, now() + interval '1 hour', $2, 999999999999, 'x', 'dangling')`, [runId, account]);
      await db.query('COMMIT');
      await expect(verifyAccountReferences(db, runId, account)).rejects.toThrow('seeding wrote 1 comments row(s) whose item_id has no items row');
    } finally {
      await db.end();
      await seedClient.cleanup(runId);
    }
  });
});
