/** The package's `pressure-harness/seed` entry. */
export * from './anonymize.js';
export * from './api.js';
export * from './census.js';
export * from './copy-text.js';
export * from './distributions.js';
export * from './domain.js';
export * from './endpoints.js';
export * from './fit.js';
export * from './fit-format.js';
export * from './import.js';
export * from './progress.js';
export * from './run-client.js';
export * from './sign-in.js';
export * from './sql.js';
export { chunkWriter, copyValue, pathUuid, type ChunkConfig, type ChunkOut, type ChunkTask, type KeySpec, type TableSpec } from './sql-chunk.js';
export * from './streams.js';
export * from './workers.js';
