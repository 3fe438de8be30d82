import { instrumentHttp } from '@mmstats/core';

const inst = instrumentHttp({ processMetrics: false }, 'probe');
const m = inst.metrics;
const s = m.begin();
m.end({}, 'GET', '/users/:id', 200, s);
const series = [...m.routes.get('/users/:id').values()][0];
const c = series.requests,
  g = m.inFlight;
console.log(
  process.pid,
  'gauge off',
  g.off,
  g.off % 64,
  'counter off',
  c.off,
  c.off % 64,
  'u8 byteOffset',
  g.u8.byteOffset,
  c.u8.byteOffset,
  'len',
  g.u8.byteLength,
  inst.registry.storageFiles,
);
