/**
 * How much of PostgreSQL's cumulative statistics a scenario's window can speak for: shared by the
 * comparison (compare/pg.ts) and the figures budgets read (report/figures.ts). No imports: the
 * pure steps read these without loading a database driver.
 */

/**
 * The shortest window whose table and database counters are the scenario's: a backend flushes
 * them at most once a second, and an idle one within 10 s (PGSTAT_IDLE_INTERVAL in pgstat.c), so a
 * shorter window can hold more of what came before it (a seed's writes) than of its requests'.
 */
export const COUNTERS_MIN_SECONDS = 10;
/** The fewest pg_stat_activity samples an average of sessions is taken from (4 a second). */
export const ACTIVITY_MIN_SAMPLES = 20;
