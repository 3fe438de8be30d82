/**
 * The load generator of bench/http.mjs, a long-lived process pinned to its own CPU so that it never
 * shares one with the server. Over IPC:
 *   -> { type: 'run', port, connections, seconds }
 *   <- { type: 'done', requests, durationS, rps, non2xx, errors, p50, p99 }
 *   -> { type: 'stop' }
 * Every request asks for another id (see user-requests.mjs).
 */
import autocannon from 'autocannon';
import { userRequests } from './user-requests.mjs';

function load(port, connections, seconds) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: userRequests(),
  });
}

// Exits with the orchestrator (or after `stop`), even in the middle of a run.
process.on('disconnect', () => process.exit(0));
process.on('message', async (message) => {
  if (message.type === 'stop') {
    process.disconnect();
    return;
  }
  if (message.type !== 'run') return;
  const result = await load(message.port, message.connections, message.seconds);
  process.send({
    type: 'done',
    requests: result.requests.total,
    durationS: result.duration,
    rps: result.requests.total / result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    p50: result.latency.p50,
    p99: result.latency.p99,
  });
});
