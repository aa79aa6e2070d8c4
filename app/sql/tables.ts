/**
 * Every table with a test_run_id column, children before parents, so deleting in this order
 * never waits on a cascade. The app checks this list against the catalogue at start
 * (assertTestDataTables): a migration that adds a test-data table without adding it here stops
 * the app instead of leaking rows.
 */
export const TEST_DATA_TABLES = ['notifications', 'search_documents', 'item_tags', 'attachments', 'comments', 'items', 'tags', 'projects', 'api_tokens', 'accounts'] as const;
export type TestDataTable = (typeof TEST_DATA_TABLES)[number];
export type RowCounts = Record<TestDataTable, number>;

/** The column naming the account a row belongs to: accounts are their own owners. */
export const ownerColumn = (table: TestDataTable) => (table === 'accounts' ? 'id' : 'account_id');
