/**
 * The SQL seeding adapter on schemas as they are: a key that is a uuid with no default (the
 * adapter makes it), a natural key (a field's value), statistics fresh after the seed; relations
 * declared, never hand-built (self references, a join table with two keys to one parent, a
 * one-to-one table); chunks on workers written side by side; a seed that fails leaves nothing.
 * Scratch tables of the test's own, in the database the suite's app serves.
 */
import pg from 'pg';
import { defineDomain, seedSql, sqlResources } from 'pressure-harness/seed';
import { expect, test } from '../../fixtures';
import { relationsDomain } from '../support/relations-domain.js';

test.describe('SQL seeding of keys the adapter makes', () => {
  test('should seed a uuid key with no default and a natural key, analyze what it wrote, and remove it all by run', async ({ verifyDatabaseUrl, run }, testInfo) => {
    test.skip(!verifyDatabaseUrl, 'needs the database (DATABASE_URL)');
    const sfx = `${testInfo.workerIndex}_${run.runId.replace(/[^a-z0-9]/g, '_')}`.slice(0, 40);
    const [team, member] = [`t_team_${sfx}`, `t_member_${sfx}`];
    const db = new pg.Client({ connectionString: verifyDatabaseUrl! });
    await db.connect();
    try {
      const domain0 = defineDomain({ team: { count: 1, fields: { name: () => 'x' } } });
      // Before the backend made its tables: nothing to reap, nothing left, no error.
      const early = sqlResources({ databaseUrl: verifyDatabaseUrl!, domain: domain0, mapping: { team: { table: team } } });
      expect(await early.remaining(`${run.runId}-keys`)).toEqual({});
      expect(await early.cleanup(`${run.runId}-keys`)).toBe(0);
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
      expect(members.map((m) => m.handle)).toEqual(
        r.generated
          .filter((g) => g.entity === 'member')
          .map((g) => String(g.values.handle))
          .sort(),
      );
      const stats = (await db.query<{ relname: string; analyzed: boolean }>(`SELECT relname, last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname IN ($1, $2)`, [team, member]))
        .rows;
      expect(
        stats.every((s) => s.analyzed),
        JSON.stringify(stats),
      ).toBe(true);

      const resources = sqlResources({ databaseUrl: verifyDatabaseUrl!, domain, mapping });
      expect(await resources.remaining(runId)).toEqual({ [team]: 3, [member]: 12, pressure_ledger: 3 });
      expect(await resources.cleanup(runId)).toBe(15);
      expect(await resources.remaining(runId)).toEqual({});
    } finally {
      await db.query(`DROP TABLE IF EXISTS ${member}, ${team}`);
      await db.end();
    }
  });

  test('should seed relations as declared, on workers in many chunks, and leave nothing when a chunk fails', async ({ verifyDatabaseUrl, run }, testInfo) => {
    test.skip(!verifyDatabaseUrl, 'needs the database (DATABASE_URL)');
    const sfx = `${testInfo.workerIndex}_${run.runId.replace(/[^a-z0-9]/g, '_')}`.slice(0, 40);
    const t = { person: `t_person_${sfx}`, follow: `t_follow_${sfx}`, profile: `t_profile_${sfx}`, post: `t_post_${sfx}`, reply: `t_reply_${sfx}` };
    const db = new pg.Client({ connectionString: verifyDatabaseUrl! });
    await db.connect();
    try {
      await db.query(`CREATE TABLE ${t.person} (id bigserial PRIMARY KEY, name text NOT NULL, invited_by bigint REFERENCES ${t.person}(id))`);
      await db.query(
        `CREATE TABLE ${t.follow} (follower_id bigint NOT NULL REFERENCES ${t.person}(id), followee_id bigint NOT NULL REFERENCES ${t.person}(id), PRIMARY KEY (follower_id, followee_id))`,
      );
      await db.query(`CREATE TABLE ${t.profile} (person_id bigint PRIMARY KEY REFERENCES ${t.person}(id), bio text NOT NULL)`);
      await db.query(`CREATE TABLE ${t.post} (id uuid PRIMARY KEY, author_id bigint NOT NULL REFERENCES ${t.person}(id), title text NOT NULL)`);
      await db.query(
        `CREATE TABLE ${t.reply} (id bigserial PRIMARY KEY, post_id uuid NOT NULL REFERENCES ${t.post}(id), parent_reply_id bigint REFERENCES ${t.reply}(id), body text NOT NULL CHECK (body <> 'boom'))`,
      );
      const mapping = { person: { table: t.person }, follow: { table: t.follow, parentColumn: 'follower_id' }, profile: { table: t.profile }, post: { table: t.post }, reply: { table: t.reply } };
      const resources = sqlResources({ databaseUrl: verifyDatabaseUrl!, domain: relationsDomain(12), mapping });

      // Two keys to one parent without parentColumn: refused, naming both and how to choose.
      await expect(
        seedSql({ databaseUrl: verifyDatabaseUrl!, domain: relationsDomain(12), mapping: { ...mapping, follow: { table: t.follow } }, seed: run.seed, runId: `${run.runId}-rel0`, ttlSeconds: 600 }),
      ).rejects.toThrow(`follow: "${t.follow}" has 2 foreign keys to "${t.person}" (follower_id, followee_id); name the one that holds the parent`);

      // Workers, chunks of about 10 rows (one person and what is below), two writers.
      const runId = `${run.runId}-rel`;
      const r = await seedSql({
        databaseUrl: verifyDatabaseUrl!,
        domain: relationsDomain(12),
        mapping,
        seed: run.seed,
        runId,
        ttlSeconds: 600,
        chunkRows: 10,
        writers: 2,
        keep: { person: 'all' },
        generator: { module: new URL('../support/relations-domain.ts', import.meta.url), export: 'relationsDomain', args: [12], threads: 1 },
      });
      expect(r.rows).toEqual({ person: 12, follow: 36, profile: 12, post: 24, reply: 72 });
      expect(r.generated.map((g) => g.entity)).toEqual(Array(12).fill('person'));
      const q = async (sql: string) => (await db.query<{ n: number }>(sql)).rows[0]!.n;
      expect(await q(`SELECT count(*)::int AS n FROM ${t.follow} WHERE follower_id = followee_id`)).toBe(0);
      expect(await q(`SELECT count(*)::int AS n FROM ${t.person} WHERE invited_by >= id`)).toBe(0);
      expect(await q(`SELECT count(*)::int AS n FROM ${t.person} WHERE invited_by IS NULL`)).toBe(1);
      expect(await q(`SELECT count(*)::int AS n FROM ${t.reply} r JOIN ${t.reply} p ON p.id = r.parent_reply_id WHERE p.post_id <> r.post_id OR p.id >= r.id`)).toBe(0);
      expect(await q(`SELECT count(*)::int AS n FROM ${t.reply} WHERE parent_reply_id IS NOT NULL`)).toBe(48);
      // The keys handed back are the rows' keys.
      expect([...r.keys.values()].sort((a, b) => +a - +b)).toEqual((await db.query<{ k: string }>(`SELECT id::text AS k FROM ${t.person} ORDER BY id`)).rows.map((x) => x.k));

      expect(await resources.remaining(runId)).toEqual({ [t.person]: 12, [t.follow]: 36, [t.profile]: 12, [t.post]: 24, [t.reply]: 72, pressure_ledger: 12 });
      expect(await resources.cleanup(runId)).toBe(156);
      expect(await resources.remaining(runId)).toEqual({});

      // A reply of the eleventh person's second post breaks a check: the chunks before it were
      // committed, and the seed removes them before it says why it failed.
      const failing = `${run.runId}-fail`;
      await expect(
        seedSql({ databaseUrl: verifyDatabaseUrl!, domain: relationsDomain(12, 'person/10/post/1/reply/2'), mapping, seed: run.seed, runId: failing, ttlSeconds: 600, chunkRows: 10 }),
      ).rejects.toThrow(/violates check constraint/);
      expect(await resources.remaining(failing)).toEqual({});
      expect(await q(`SELECT count(*)::int AS n FROM ${t.person}`)).toBe(0);
    } finally {
      await db.query(`DROP TABLE IF EXISTS ${Object.values(t).reverse().join(', ')}`);
      await db.query(`DELETE FROM pressure_ledger WHERE run_id LIKE $1`, [`${run.runId}-%`]).catch(() => {});
      await db.end();
    }
  });
});
