// A cluster program as prom-client's README writes one, on @mmstats/core's build: two workers
// count requests; the primary, and then a worker, serve the whole program's metrics.
const cluster = require('node:cluster');
const { AggregatorRegistry, Counter, Gauge } = require(process.env.CORE_ENTRY);

if (cluster.isPrimary) {
  const aggregatorRegistry = new AggregatorRegistry();
  const workers = [cluster.fork({ WORKER: '1' }), cluster.fork({ WORKER: '2' })];
  let ready = 0;
  const results = {};
  for (const worker of workers) {
    worker.on('message', async (message) => {
      if (message.type === 'ready' && ++ready === workers.length) {
        results.primary = await aggregatorRegistry.clusterMetrics();
        workers[0].send('scrape');
      } else if (message.type === 'scraped') {
        results.worker = message.text;
        process.stdout.write(JSON.stringify(results));
        for (const w of workers) w.kill();
      }
    });
  }
} else {
  const requests = new Counter({ name: 'requests_total', help: 'Requests', labelNames: ['route'] });
  new Gauge({ name: 'worker_id', help: 'Worker' }).set(Number(process.env.WORKER));
  requests.inc({ route: '/a' }, Number(process.env.WORKER) * 10);
  process.on('message', async () => {
    const text = await new AggregatorRegistry().clusterMetrics();
    process.send({ type: 'scraped', text });
  });
  process.send({ type: 'ready' });
}
