/**
 * The micro-benchmark cases of bench/core.mjs, one definition for both libraries: the metric
 * constructors are prom-client-compatible, so the same setup and loop source runs on each.
 */

/** Seconds-scale values spread over the default HTTP buckets, so `observe` walks varied bucket counts. */
export const VALUES = Float64Array.from({ length: 1024 }, (_, i) => ((i * 7919) % 1024) / 100);

/** Four label sets, rotated per call so a lookup is not the same hit every time. */
export const LABELS = {
  methods: ['GET', 'POST', 'GET', 'PUT'],
  routes: ['/users/:id', '/orders/:id', '/api/v1/items/:itemId', '/health'],
  statuses: ['2XX', '2XX', '4XX', '5XX'],
};

/** OpenTelemetry's HTTP set, passed explicitly because prom-client's default buckets differ. */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const LABEL_NAMES = ['method', 'route', 'status'];
const FRESH_LABELS = '{ method: L.methods[i & 3], route: L.routes[i & 3], status: L.statuses[i & 3] }';

/**
 * Loop bodies. `sink` collects something from every call where the call returns a value, so the
 * optimiser cannot drop it; the other calls write into metric state and cannot be dropped anyway.
 */
export const CASES = [
  {
    id: 'boundInc',
    title: 'bound-child `inc()`',
    target: { kind: 'absolute', ns: 10, text: '<= 10 ns' },
    setup: 'const child = m.counter.labels("GET", "/users/:id", "2XX");',
    loop: 'child.inc();',
  },
  {
    id: 'labelledInc',
    title: '`inc({3 labels})`, fresh object per call',
    target: { kind: 'ratio', ratio: 10, text: '>= 10× faster' },
    setup: '',
    loop: `m.counter.inc(${FRESH_LABELS});`,
  },
  {
    id: 'labelledObserve',
    title: 'histogram `observe({3 labels}, v)`',
    target: { kind: 'ratio', ratio: 10, text: '>= 10× faster' },
    setup: '',
    loop: `m.histogram.observe(${FRESH_LABELS}, V[i & 1023]);`,
  },
  {
    id: 'boundObserve',
    title: 'bound-child histogram `observe(v)` (reference)',
    target: { kind: 'none', text: '—' },
    setup: 'const child = m.histogram.labels("GET", "/users/:id", "2XX");',
    loop: 'child.observe(V[i & 1023]);',
  },
  {
    id: 'timer',
    title: '`startTimer()` + `end({3 labels})`',
    target: { kind: 'ratio', ratio: 10, text: '>= 10× faster' },
    setup: '',
    loop: `const end = m.histogram.startTimer(); sink += end(${FRESH_LABELS});`,
  },
  {
    id: 'render600',
    title: '`metrics()`, 600 histogram label sets',
    target: { kind: 'ratio', ratio: 3, text: '>= 3× faster' },
    render: 'render600',
  },
  {
    id: 'render6000',
    title: '`metrics()`, 6,000 histogram label sets',
    target: { kind: 'ratio', ratio: 3, text: '>= 3× faster' },
    render: 'render6000',
  },
];

/**
 * One library's metrics for the recording cases, plus two registries holding only a histogram
 * with 600 and 6,000 label sets for the rendering cases. `lib` is `{ Counter, Histogram }`;
 * `makeRegistry()` returns a fresh registry of that library.
 */
export function createMetrics(lib, makeRegistry) {
  const registry = makeRegistry();
  const registers = [registry];
  const counter = new lib.Counter({
    name: 'http_requests_total',
    help: 'Requests',
    labelNames: LABEL_NAMES,
    registers,
  });
  const histogram = new lib.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Request duration',
    labelNames: LABEL_NAMES,
    buckets: BUCKETS,
    registers,
  });
  return {
    registry,
    counter,
    histogram,
    render600: renderFixture(lib, makeRegistry(), 600),
    render6000: renderFixture(lib, makeRegistry(), 6000),
  };
}

/** `count` label sets (routes × 2 methods × 3 statuses), each with the same five observations. */
function renderFixture(lib, registry, count) {
  const histogram = new lib.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Request duration',
    labelNames: LABEL_NAMES,
    buckets: BUCKETS,
    registers: [registry],
    // Ours keeps 2,000 label sets per metric by default; prom-client ignores the option.
    cardinalityLimit: Number.POSITIVE_INFINITY,
  });
  let k = 0;
  for (let route = 0; k < count; route++) {
    for (const method of ['GET', 'POST']) {
      for (const status of ['2XX', '4XX', '5XX']) {
        const child = histogram.labels(method, `/api/v1/resource${route}/:id`, status);
        for (let j = 0; j < 5; j++) child.observe(VALUES[(k * 7 + j) & 1023]);
        k++;
      }
    }
  }
  return registry;
}

/**
 * Compiles a case for one library. `new Function` gives each library its own copy of the loop,
 * with its own type feedback and optimised code: one shared closure would turn the call sites
 * polymorphic (ours and prom-client's objects through one `inc` site) and slow both down.
 */
export function compileCase(testCase, metrics) {
  // A render is timed up to the bytes a scrape sends: `.length` alone would leave a string built
  // by `+=` unflattened (a rope), its copying never paid for, though the response pays it.
  if (testCase.render !== undefined) {
    const source = `return async function ${testCase.id}(n) {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += Buffer.byteLength(await registry.metrics(), 'utf8');
      return sink;
    };`;
    return new Function('registry', source)(metrics[testCase.render]);
  }
  const source = `${testCase.setup}
    return function ${testCase.id}(n) {
      let sink = 0;
      for (let i = 0; i < n; i++) { ${testCase.loop} }
      return sink;
    };`;
  return new Function('m', 'L', 'V', source)(metrics, LABELS, VALUES);
}
