export { freePort, type RunningProcess, startProgram, waitFor } from './processes.js';
export { type PromtoolResult, promtoolCheckMetrics } from './promtool.js';
export { toolAvailable } from './tools.js';
