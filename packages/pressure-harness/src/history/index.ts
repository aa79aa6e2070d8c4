/** Every perf run kept: the store, the series it holds, their change points, the history page. */
export { type ChangePoint, type ChangePointOptions, eDivisive } from './changepoints.js';
