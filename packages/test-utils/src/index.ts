export { describeAdapterExports } from './adapter-exports.js';
export {
  type ConformanceRoutes,
  type ConformanceTarget,
  listenOnLoopback,
  PROMETHEUS_ACCEPT,
  type RunningApp,
  runConformance,
} from './conformance.js';
export {
  abortedGet,
  baseUrl,
  deferred,
  get,
  many,
  type ParsedSample,
  parseSamples,
  pipelined,
  samplesOf,
  sampleValue,
  slowStream,
} from './conformance-http.js';
export { checkExampleRoutes } from './example-routes.js';
export { runHostileRequests } from './hostile.js';
export { freePort, type RunningProcess, startProgram, startPrometheus, waitFor } from './processes.js';
export { type PromtoolResult, promtoolCheckMetrics } from './promtool.js';
export { hostileTargets, type RawResponse, rawGet, rawRequest, seeded } from './raw-http.js';
export { toolAvailable } from './tools.js';
