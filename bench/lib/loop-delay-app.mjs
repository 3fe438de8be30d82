/**
 * The app of bench/serve.mjs: a registry of `--series` counter series kept in an mmstats file in
 * `--dir`, busy recording, with its own metrics endpoint only under `--endpoint`. It measures its
 * event-loop delay (perf_hooks.monitorEventLoopDelay) between a `measure` and a `report` message.
 */

import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT } from './packages.mjs';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    series: { type: 'string' },
    endpoint: { type: 'boolean', default: false },
  },
});
const dist = (name) => pathToFileURL(join(ROOT, 'packages', 'core', 'dist', `${name}.js`)).href;
const core = await import(dist('index'));
const http = await import(dist('http'));

const registry = new core.Registry({ storage: { directory: values.dir } });
const counter = new core.Counter({
  name: 'http_requests_total',
  help: 'Requests',
  labelNames: ['route', 'status'],
  registers: [registry],
  // The bench is about many series: the default limit (2,000) would fold most into one.
  cardinalityLimit: Number.POSITIVE_INFINITY,
});
const series = Number(values.series);
const children = [];
for (let i = 0; i < series; i++) children.push(counter.labels(`/route/${i >> 2}`, `${(i & 3) + 2}XX`));
for (const child of children) child.inc();
registry.sync();

// Recording keeps going, as an app serving requests would.
let next = 0;
const work = setInterval(() => {
  for (let i = 0; i < 50; i++) children[next++ % series].inc();
}, 1);

const server = values.endpoint ? await http.startMetricsServer({ port: 0, registry }) : null;
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();

process.on('message', async (message) => {
  if (message.type === 'measure') histogram.reset();
  else if (message.type === 'report') {
    const ms = (ns) => ns / 1e6;
    process.send({
      type: 'delay',
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      p999: ms(histogram.percentile(99.9)),
      max: ms(histogram.max),
      count: histogram.count,
    });
  } else if (message.type === 'stop') {
    clearInterval(work);
    histogram.disable();
    await server?.close();
    registry.close();
    process.exit(0);
  }
});
process.send({ type: 'ready', port: server?.address.port ?? null, file: registry.storageFiles[0] });
