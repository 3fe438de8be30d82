import { spawn } from 'node:child_process';

/**
 * A child process with an IPC channel, whose messages can be awaited one type at a time. Every
 * wait has a time limit and every child is stopped by its own PID: a benchmark must never leave a
 * server running or hang.
 */
export function startChild(command, args, { env = process.env, cwd } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  const queue = [];
  const waiters = [];
  let stderr = '';
  let exited = null;
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  child.on('message', (message) => {
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index === -1) queue.push(message);
    else waiters.splice(index, 1)[0].resolve(message);
  });
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    for (const w of waiters.splice(0))
      w.reject(
        new Error(
          `${describe()} exited (${code ?? signal}) while we waited for "${w.type}"${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
        ),
      );
  });
  const describe = () => `${args.find((a) => a.endsWith('.mjs')) ?? command} (pid ${child.pid})`;

  function expect(type, timeoutMs) {
    const queued = queue.findIndex((m) => m.type === type);
    if (queued !== -1) return Promise.resolve(queue.splice(queued, 1)[0]);
    if (exited)
      return Promise.reject(
        new Error(`${describe()} already exited (${exited.code ?? exited.signal}): ${stderr.trim()}`),
      );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`${describe()} sent no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      waiters.push(waiter);
    });
  }

  // A child may close its channel at any moment (the load generator does when done): a message
  // that can no longer be delivered is simply dropped.
  child.on('error', () => {});
  function send(message) {
    if (child.connected) child.send(message, () => {});
  }

  /** Asks politely (`stop` message), then SIGKILLs this child's PID after `graceMs`. */
  async function stop(graceMs = 3000) {
    if (exited) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  return { pid: child.pid, expect, send, stop };
}
