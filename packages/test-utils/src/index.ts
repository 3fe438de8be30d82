export { type PromtoolResult, promtoolCheckMetrics } from './promtool.js';
export { toolAvailable } from './tools.js';
