/**
 * parity (pg/parity.ts, cli/parity.ts): what differs between a test database and production's,
 * from their profiles; and the verb's refusals of bad flags.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from 'pressure-harness/cli';
import { type DatabaseProfile, formatParity, indexShape, parityOf, poolParity } from 'pressure-harness/pg';

const profile = (o: Partial<DatabaseProfile> = {}): DatabaseProfile => ({
  url: 'postgres://app:***@db/app',
  version: '18.1',
  versionNum: 180001,
  settings: {
    shared_buffers: { value: '128MB', unit: '8kB', setting: '16384' },
    work_mem: { value: '4MB', unit: 'kB', setting: '4096' },
    random_page_cost: { value: '4', unit: null, setting: '4' },
    fsync: { value: 'on', unit: null, setting: 'on' },
  },
  extensions: { plpgsql: '1.0', pg_stat_statements: '1.11' },
  indexes: [
    { table: 'public.items', name: 'items_pkey', unique: true, shape: 'btree (id)' },
    { table: 'public.items', name: 'items_project_created_idx', unique: false, shape: 'btree (project_id, created_at DESC, id DESC)' },
  ],
  tables: { 'public.items': { rows: 50_000, bytes: 1e7 }, 'public.projects': { rows: 2_000, bytes: 1e6 } },
  sessions: { app: 20 },
  ...o,
});

describe('parity', () => {
  it('finds nothing between two profiles alike, whatever their indexes are named', () => {
    const renamed = profile({
      indexes: profile().indexes.map((i) => ({ ...i, name: `${i.name}_v2` })),
      tables: { 'public.items': { rows: 80_000, bytes: 2e7 }, 'public.projects': { rows: 3_000, bytes: 1e6 } },
    });
    assert.deepEqual(parityOf(profile(), renamed), []);
    assert.match(formatParity(profile(), renamed, []), /alike in everything compared/);
  });

  it('names each difference that moves latency, with why', () => {
    const production = profile({
      version: '16.4',
      versionNum: 160004,
      settings: {
        // 128MB written as 8kB pages is the same setting; 4 GB is not.
        shared_buffers: { value: '4GB', unit: '8kB', setting: '524288' },
        work_mem: { value: '4096kB', unit: 'kB', setting: '4096' },
        random_page_cost: { value: '1.1', unit: null, setting: '1.1' },
        fsync: { value: 'on', unit: null, setting: 'on' },
      },
      extensions: { plpgsql: '1.0', pg_stat_statements: '1.10', pg_trgm: '1.6' },
      indexes: [...profile().indexes.filter((i) => i.name !== 'items_project_created_idx'), { table: 'public.items', name: 'items_title_trgm', unique: false, shape: 'gin (title gin_trgm_ops)' }],
      tables: { 'public.items': { rows: 12_000_000, bytes: 4e9 }, 'public.projects': { rows: 2_500, bytes: 1e6 }, 'public.audit_log': { rows: 9e7, bytes: 3e10 } },
      sessions: { 'api-pool': 180, worker: 40 },
    });
    const findings = parityOf(profile(), production);
    const by = (kind: string) => findings.filter((f) => f.kind === kind).map((f) => `${f.subject}: ${f.test} / ${f.production}`);
    assert.deepEqual(by('version'), ['PostgreSQL: 18.1 / 16.4']);
    assert.deepEqual(by('setting'), ['shared_buffers: 128MB / 4GB', 'random_page_cost: 4 / 1.1']);
    assert.deepEqual(by('extension'), ['pg_stat_statements: 1.11 / 1.10', 'pg_trgm: absent / 1.6']);
    assert.deepEqual(by('index'), [
      'public.items gin (title gin_trgm_ops): absent / items_title_trgm',
      'public.items btree (project_id, created_at DESC, id DESC): items_project_created_idx / absent',
    ]);
    assert.deepEqual(by('table'), ['public.audit_log: absent / 90,000,000 rows', 'public.items: 50,000 rows / 12,000,000 rows (×240 fewer here)']);
    assert.deepEqual(by('sessions'), ['client sessions now: 20 / 220 (api-pool 180, worker 40)']);
    const text = formatParity(profile(), production, findings);
    assert.match(text, /random_page_cost: here 4, production 1\.1: the planner's price of a random read/);
    assert.match(text, /\n10 differences$/);
  });

  it('reads an index by what it indexes, not its name', () => {
    assert.equal(indexShape('CREATE UNIQUE INDEX items_pkey ON public.items USING btree (id)'), 'btree (id)');
    assert.equal(indexShape('CREATE INDEX items_x ON ONLY public.items USING btree (project_id, created_at DESC)'), 'btree (project_id, created_at DESC)');
  });

  it('refuses bad flags with what is wrong and what is accepted, before reading anything', async () => {
    const errors: string[] = [];
    const error = console.error;
    console.error = (m: string) => void errors.push(m);
    try {
      assert.equal(await run(['parity']), 2);
      assert.equal(await run(['parity', '--against', 'mysql://prod/db', '--database-url', 'nope']), 2);
      assert.equal(await run(['parity', '--against', 'postgres://prod/db', '--against-metrics', 'prod:9100', '--metrics-url', 'x']), 2);
      assert.equal(await run(['parity', '--against', 'postgres://prod/db', '--metrics-url', 'http://here/metrics']), 2);
    } finally {
      console.error = error;
    }
    assert.match(errors[0]!, /--against is required: the production database to compare with \(postgres:\/\/…\)/);
    assert.match(errors[1]!, /--against must be a postgres:\/\/ or postgresql:\/\/ URL, got "mysql:\/\/prod\/db"/);
    assert.match(errors[1]!, /--database-url must be a postgres:\/\/ or postgresql:\/\/ URL, got "\(unparseable URL\)"/);
    assert.match(errors[2]!, /--against-metrics must be an http:\/\/ or https:\/\/ URL, got "prod:9100"/);
    assert.match(errors[2]!, /--metrics-url must be an http:\/\/ or https:\/\/ URL, got "x"/);
    assert.match(errors[3]!, /--metrics-url goes with --against-metrics/);
  });

  it("compares the backends' pool sizes from their Prometheus gauges, and only those", () => {
    const here = { db_pool_max_connections: 10, db_pool_waiting_clients: 0, hikaricp_connections_max: 20, process_resident_memory_bytes: 1e8 };
    const prod = { db_pool_max_connections: 50, db_pool_waiting_clients: 7, hikaricp_connections_max: 20, sqlalchemy_pool_size: 30, process_resident_memory_bytes: 3e8 };
    assert.deepEqual(
      poolParity(here, prod).map((f) => `${f.subject}: ${f.test} / ${f.production}`),
      ['db_pool_max_connections: 10 / 50', 'sqlalchemy_pool_size: not reported / 30'],
    );
    assert.deepEqual(poolParity(null, prod), []);
    assert.match(formatParity(profile(), profile(), poolParity(here, prod)), /the backends' pools \(2\):\n  db_pool_max_connections: here 10, production 50: the backend's pool/);
  });
});
