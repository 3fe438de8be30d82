import { freePort, type RunningProcess, startProgram, toolAvailable, waitFor } from '@mmstats/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Gauge, isMetricsError, Pushgateway, Registry } from '../../src/index.js';

describe.skipIf(!toolAvailable('prometheus-pushgateway'))('pushing to a real Pushgateway', () => {
  let gateway: RunningProcess;
  let url: string;
  const registry = new Registry({ storage: false });

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // Debian's build persists to /var/lib/prometheus by default: keep the test's pushes in memory.
    gateway = await startProgram(
      'prometheus-pushgateway',
      [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='],
      `${url}/-/ready`,
    );
    new Counter({
      name: 'batch_rows_total',
      help: 'Rows imported',
      labelNames: ['table'],
      registers: [registry],
    }).inc({ table: 'users "main"' }, 1234);
    new Gauge({
      name: 'batch_last_success_seconds',
      help: 'When the batch last succeeded',
      registers: [registry],
    }).set(1700000000);
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
  });

  it('accepts our exposition, grouped, including a grouping value with a slash', async () => {
    const push = new Pushgateway(url, {}, registry);
    await push.pushAdd({ jobName: 'nightly-import', groupings: { instance: 'host/7' } });
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain(
      'batch_rows_total{instance="host/7",job="nightly-import",table="users \\"main\\""} 1234',
    );
    expect(text).toMatch(/batch_last_success_seconds\{instance="host\/7",job="nightly-import"\} 1\.7e\+09/);
    await push.delete({ jobName: 'nightly-import', groupings: { instance: 'host/7' } });
    // The gateway answers a DELETE with 202 and applies it a moment later.
    const after = await waitFor(
      async () => {
        const body = await (await fetch(`${url}/metrics`)).text();
        return body.includes('batch_rows_total{') ? undefined : body;
      },
      5000,
      'the gateway to drop the deleted group',
    );
    expect(after).toContain('# TYPE go_goroutines');
  });

  it('reports the gateway refusing a push with its reason', async () => {
    const clash = new Registry({ storage: false });
    // The gateway holds one type per metric name across all groups: a gauge pushed under a
    // name it already holds as a counter (in another group) is refused.
    new Gauge({ name: 'batch_rows_total', help: 'now a gauge', registers: [clash] }).set(1);
    await new Pushgateway(url, {}, registry).pushAdd({ jobName: 'typed-a' });
    const error = await new Pushgateway(url, {}, clash)
      .pushAdd({ jobName: 'typed-b' })
      .catch((e: unknown) => e);
    expect(isMetricsError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/answered 400/);
  });

  it('throws for a missing job name before sending anything, as prom-client', () => {
    expect(() => new Pushgateway(url, {}, registry).push({ jobName: '' })).toThrow(/jobName is required/);
  });

  it('resolves { resp, body } as prom-client, takes null options, and a gzipped body', async () => {
    const push = new Pushgateway(url, null, registry);
    const { resp, body } = await push.push({ jobName: 'shaped' });
    expect(resp.statusCode).toBe(200);
    expect(body).toBe('');
    const gzip = new Pushgateway(url, { headers: { 'Content-Encoding': 'gzip' } }, registry);
    await gzip.pushAdd({ jobName: 'gzipped' });
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('batch_rows_total{instance="",job="gzipped",table="users \\"main\\""} 1234');
    await gzip.delete({ jobName: 'gzipped' });
  });
});
