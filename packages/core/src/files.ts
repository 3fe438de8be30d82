/**
 * `@mmstats/core/files`: reading mmstats files written by any process (ours or the original Python
 * mmstats) and turning them into one Prometheus exposition.
 */
export type { FamilySnapshot, MetricType, Sample } from './exposition/model.js';
export { type ExpositionFormat, renderExposition } from './exposition/render.js';
export { type FilesToFamiliesOptions, filesToFamilies, renderMmstatsFiles } from './file-reader/aggregate.js';
export { type AppSummary, listApps } from './file-reader/app-files.js';
export { type FoldResult, foldIntoArchive } from './file-reader/archive.js';
export { appFamilies } from './file-reader/cluster-metrics.js';
export {
  type MmstatsDirectory,
  type MmstatsDiscoverOptions,
  type MmstatsSkippedFile,
  readMmstatsDirectory,
} from './file-reader/discover.js';
export {
  type MmstatsField,
  type MmstatsFile,
  type MmstatsReadFailure,
  type MmstatsReadOptions,
  type MmstatsReadResult,
  readMmstatsFile,
} from './file-reader/reader.js';
