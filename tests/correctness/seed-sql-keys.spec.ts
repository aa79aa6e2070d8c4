/**
 * The SQL seeding adapter on schemas as they are: a key that is a uuid with no default (the
 * adapter makes it), a natural key (a field's value), and statistics fresh after the seed.
 * Scratch tables of the test's own, in the database the suite's app serves.
 */
import pg from 'pg';
import { defineDomain, seedSql, sqlResources } from 'pressure-harness/seed';
import { expect, test } from '../../fixtures';

test.describe('SQL seeding of keys the adapter makes', () => {
  test('should seed a uuid key with no default and a natural key, analyze what it wrote, and remove it all by run', async ({ verifyDatabaseUrl, run }, testInfo) => {
    test.skip(!verifyDatabaseUrl, 'needs the database (DATABASE_URL)');
    const sfx = `${testInfo.workerIndex}_${run.runId.replace(/[^a-z0-9]/g, '_')}`.slice(0, 40);
    const [team, member] = [`t_team_${sfx}`, `t_member_${sfx}`];
    const db = new pg.Client({ connectionString: verifyDatabaseUrl! });
    await db.connect();
    try {
      await db.query(`CREATE TABLE ${team} (id uuid PRIMARY KEY, name text NOT NULL)`);
      await db.query(`CREATE TABLE ${member} (handle text PRIMARY KEY, team_id uuid NOT NULL REFERENCES ${team}(id), joined_at timestamptz NOT NULL)`);
      const domain = defineDomain({
        team: { count: 3, fields: { name: ({ faker }) => faker.company.name() } },
        member: { parent: 'team', perParent: 4, fields: { handle: ({ path, runId }) => `${runId}/${path}`, joined_at: ({ time }) => time() } },
      });
      const mapping = { team: { table: team }, member: { table: member, key: 'handle' } };
      const runId = `${run.runId}-keys`;

      // Without the key named, a text key is refused, saying how to name it; nothing is written.
      await expect(seedSql({ databaseUrl: verifyDatabaseUrl!, domain, mapping: { ...mapping, member: { table: member } }, seed: run.seed, runId, ttlSeconds: 600 })).rejects.toThrow(
        new RegExp(`the key ${member}.handle \\(text, default none\\) is neither a sequence nor a uuid: name the field that holds it`),
      );
      expect((await db.query(`SELECT count(*)::int AS n FROM ${team}`)).rows[0].n).toBe(0);

      const r = await seedSql({ databaseUrl: verifyDatabaseUrl!, domain, mapping, seed: run.seed, runId, ttlSeconds: 600 });
      expect(r.rows).toEqual({ team: 3, member: 12 });
      const members = (await db.query<{ handle: string; team: string }>(`SELECT m.handle, t.name AS team FROM ${member} m JOIN ${team} t ON t.id = m.team_id ORDER BY m.handle`)).rows;
      expect(members.map((m) => m.handle)).toEqual(r.generated.filter((g) => g.entity === 'member').map((g) => String(g.values.handle)).sort());
      const stats = (await db.query<{ relname: string; analyzed: boolean }>(`SELECT relname, last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname IN ($1, $2)`, [team, member])).rows;
      expect(stats.every((s) => s.analyzed), JSON.stringify(stats)).toBe(true);

      const resources = sqlResources({ databaseUrl: verifyDatabaseUrl!, domain, mapping });
      expect(await resources.remaining(runId)).toEqual({ [team]: 3, [member]: 12, pressure_ledger: 15 });
      expect(await resources.cleanup(runId)).toBe(15);
      expect(await resources.remaining(runId)).toEqual({});
    } finally {
      await db.query(`DROP TABLE IF EXISTS ${member}, ${team}`);
      await db.end();
    }
  });
});
