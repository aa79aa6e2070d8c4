/** Every perf run kept: the store, the series it holds, their change points, the history page. */
export { type ChangePoint, type ChangePointOptions, eDivisive } from './changepoints.js';
export { bisectCommand, type ChangeOptions, changesInStore, changesMarkdown, changesOf, formatChange, MIN_RUNS, recordAndExplain, type SeriesChange } from './changes.js';
export { comparePage, homePage, runPage, seriesPage, seriesSpec } from './page.js';
export { fingerprintOf, type HistoryFinding, type HistoryPoint, type HistoryRun, historyRunOf, SERIES_METRICS, type SeriesMetric, valueOf } from './record.js';
export { serveHistory, type ServeOptions } from './serve.js';
export { type RunSource, runsAt } from './sources.js';
export {
  getRun,
  HISTORY_SCHEMA,
  type HistoryLocation,
  type HistoryStore,
  listRuns,
  MIGRATIONS,
  openHistory,
  previousRun,
  recordRun,
  type RunDetail,
  type RunRow,
  schemaVersion,
  seriesKeys,
  seriesOf,
  type SeriesRow,
  storeStamp,
} from './store.js';
