/**
 * A process whose main thread and two worker threads each count into their own default registry
 * (one file per thread). The first worker thread ends by itself once all are ready; the others
 * wait for the process to be stopped. Prints `{"ready":pid}` once all three have counted, then
 * `{"threadEnded":true}`.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Counter, Gauge, register } from '../../../src/index.js';

const jobs = new Counter({ name: 'jobs_total', help: 'Jobs.' });
const depth = new Gauge({ name: 'queue_depth', help: 'Depth.' });

if (isMainThread) {
  jobs.inc(1);
  depth.set(1);
  let ready = 0;
  const threads = [0, 1].map(
    // The bundle pins import.meta.url for the native binding: the script path names this file.
    (index) => new Worker(process.argv[1]!, { workerData: { index } }),
  );
  threads.forEach((thread, index) => {
    thread.on('message', () => {
      if (++ready === 2) {
        process.stdout.write(`${JSON.stringify({ ready: process.pid })}\n`);
        threads[0]!.postMessage('end');
      }
    });
    if (index === 0)
      thread.on('exit', () => process.stdout.write(`${JSON.stringify({ threadEnded: true })}\n`));
  });
  setInterval(() => {}, 60_000);
} else {
  const { index } = workerData as { index: number };
  jobs.inc(10 * (index + 1));
  depth.set(10 + index);
  register.sync();
  parentPort!.on('message', () => process.exit(0));
  parentPort!.postMessage('counted');
  if (index === 1) setInterval(() => {}, 60_000);
}
