/**
 * `@mmstats/core/http`: the request accounting the Express, Fastify and Koa adapters share, the
 * `/metrics` endpoint and a standalone metrics server.
 */

export { type Negotiated, negotiate } from './exposition/negotiation.js';
export { contentTypeOf } from './exposition/render.js';
export {
  createMetricsEndpoint,
  type MetricsEndpointOptions,
  type MetricsRequest,
  type MetricsResponse,
} from './http/endpoint.js';
export { type HttpInstrumentation, instrumentHttp } from './http/instrument.js';
export {
  type CustomLabels,
  DEFAULT_SIZE_BUCKETS,
  DEFAULT_UNMATCHED_ROUTE,
  type HttpMetricsOptions,
  type MetricsAuth,
  type ResolvedHttpOptions,
  resolveHttpOptions,
  type SizeHistogramOption,
} from './http/options.js';
export { CLIENT_CLOSED_REQUEST, HttpMetrics, type SizedMessages } from './http/request-metrics.js';
export type { ResponseDone, ResponseSlot, ResponseTracker } from './http/response-tracker.js';
export { type MetricsServer, type MetricsServerOptions, startMetricsServer } from './http/server.js';

import { archiveAtExit } from './file-reader/archive.js';
import { setExitArchiver } from './storage/exit.js';

// Cluster and PM2 workers hand their files to their app's archive when they end.
setExitArchiver(archiveAtExit);
