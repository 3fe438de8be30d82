#!/usr/bin/env node
/**
 * What scraping a big registry costs the application serving beside it: the p99 event-loop
 * delay of a serving process while /metrics, with 100,000 series, is scraped once a second,
 * against the same process left alone. Both the in-process endpoint and the cluster view
 * (`aggregate`, summed over the files) are measured.
 *
 *   npm run bench:scrape-delay                       this checkout
 *   npm run bench:scrape-delay -- --core /tmp/old    another built checkout's core (before/after)
 *   npm run bench:scrape-delay -- --series 20000 --seconds 10
 *
 * The app runs in a child process (127.0.0.1, a port of its own), answers GET /work with a
 * little JSON, and samples its own loop with `monitorEventLoopDelay` (1 ms resolution). The
 * parent sends a steady trickle of /work requests (so the loop has work to be late for) and, in
 * the scraped phase, one scrape per second; the child reports p50/p99/max delay per phase.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/packages.mjs';

const { values: args } = parseArgs({
  options: {
    core: { type: 'string' },
    series: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '8' },
    child: { type: 'string' },
    aggregate: { type: 'boolean', default: false },
    directory: { type: 'string' },
  },
});

if (args.child !== undefined) await child();
else await parent();

async function child() {
  const core = resolve(args.child);
  const { Counter, Registry } = await import(join(core, 'dist', 'index.js'));
  const { instrumentHttp } = await import(join(core, 'dist', 'http.js'));
  const { createServer } = await import('node:http');
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const directory = args.directory;
  const registry = new Registry({
    storage: { directory, segmentSize: 64 * 1024 * 1024 },
    cardinalityLimit: Number.POSITIVE_INFINITY,
  });
  const users = new Counter({
    name: 'user_events_total',
    help: 'u',
    labelNames: ['user'],
    registers: [registry],
  });
  for (let i = 0; i < Number(args.series); i++) users.inc({ user: `user-${i}` });
  const http = instrumentHttp({ registry, processMetrics: false, aggregate: args.aggregate }, 'bench');
  const server = createServer(async (req, res) => {
    if (http.isEndpoint(req.url ?? '/')) {
      const out = await http.serve({ method: 'GET', accept: undefined, authorization: undefined, req });
      res.writeHead(out.status, out.headers).end(out.body);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  process.on('message', (message) => {
    if (message === 'start') {
      histogram.reset();
      histogram.enable();
    } else if (message === 'stop') {
      histogram.disable();
      const ms = (ns) => ns / 1e6;
      process.send({
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
      });
    } else if (message === 'exit') {
      server.close();
      registry.close();
      process.exit(0);
    }
  });
  process.send({ port: server.address().port });
}

function get(port, path) {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
      });
      res.on('end', () => done({ status: res.statusCode, bytes }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

async function phase(app, port, seconds, scrape) {
  const reply = new Promise((done) => app.once('message', done));
  app.send('start');
  const until = Date.now() + seconds * 1000;
  let scrapes = 0;
  let bytes = 0;
  const scraper = (async () => {
    while (scrape && Date.now() < until) {
      const started = Date.now();
      const out = await get(port, '/metrics');
      if (out.status !== 200) throw new Error(`scrape answered ${out.status}`);
      scrapes++;
      bytes = out.bytes;
      await new Promise((done) => setTimeout(done, Math.max(0, 1000 - (Date.now() - started))));
    }
  })();
  while (Date.now() < until) {
    await get(port, '/work');
    await new Promise((done) => setTimeout(done, 5));
  }
  await scraper;
  app.send('stop');
  return { ...(await reply), scrapes, bytes };
}

async function measure(core, aggregate) {
  const directory = mkdtempSync(join(tmpdir(), 'bench-scrape-'));
  const app = fork(
    new URL(import.meta.url).pathname,
    [
      '--child',
      core,
      '--directory',
      directory,
      '--series',
      args.series,
      ...(aggregate ? ['--aggregate'] : []),
    ],
    {
      env: { ...process.env, NODE_APP_INSTANCE: undefined },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  try {
    const { port } = await new Promise((done) => app.once('message', done));
    await get(port, '/metrics'); // warm-up: JIT, buffers, the file written
    const seconds = Number(args.seconds);
    const idle = await phase(app, port, seconds, false);
    const scraped = await phase(app, port, seconds, true);
    return { idle, scraped };
  } finally {
    app.send('exit');
    await new Promise((done) => app.once('exit', done));
    rmSync(directory, { recursive: true, force: true });
  }
}

async function parent() {
  const core = resolve(args.core ?? join(ROOT, 'packages', 'core'));
  console.log(`# scrape delay: ${Number(args.series).toLocaleString('en')} series, core at ${core}`);
  console.log('| endpoint | idle p99 | scraped p99 | added p99 | scraped max | scrapes | body |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const aggregate of [false, true]) {
    const { idle, scraped } = await measure(core, aggregate);
    const f = (ms) => `${ms.toFixed(1)} ms`;
    console.log(
      `| ${aggregate ? 'cluster view (aggregate)' : 'in-process'} | ${f(idle.p99)} | ${f(scraped.p99)} | ${f(scraped.p99 - idle.p99)} | ${f(scraped.max)} | ${scraped.scrapes} | ${(scraped.bytes / 1e6).toFixed(1)} MB |`,
    );
  }
}
