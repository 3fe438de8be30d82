import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CliIo, EXIT_FAILURE, EXIT_OK } from './io.js';

/** A server a command started: its base URL and how to stop it. */
export interface RunningServer {
  server: Server;
  /** `http://host:port` */
  url: string;
  close(): Promise<void>;
}

export interface ListenAddress {
  port: number;
  host: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** `--port` and `--host`, checked; a string is what was wrong with them. */
export function listenAddress(
  values: Record<string, string | boolean | undefined>,
  defaultPort: number,
): ListenAddress | string {
  const portText = values.port;
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535) || portText === '') {
    return `--port ${String(portText)}: use a whole number from 0 to 65535 (0 picks a free port)`;
  }
  const host = values.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.trim() === '') {
    return '--host needs an address, e.g. --host 127.0.0.1';
  }
  return { port, host };
}

/** Anything but loopback lets other machines in: said once, on stderr, when the user asked for it. */
export function warnIfExposed(io: CliIo, command: string, host: string): void {
  if (LOOPBACK.has(host)) return;
  io.stderr(
    `mmstats ${command}: warning: listening on ${host}, not only on this machine: anyone who can reach ` +
      `this address can read every metric. Use --host 127.0.0.1 unless that is what you want.\n`,
  );
}

/** Listens, or rejects with an Error whose message says what went wrong and what to do. */
export function listen(server: Server, { port, host }: ListenAddress, command: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(new Error(`mmstats ${command}: ${listenProblem(error, port, host)}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

function listenProblem(error: NodeJS.ErrnoException, port: number, host: string): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use by another program: stop it, or choose another port with --port N (--port 0 picks a free one).`;
    case 'EACCES':
      return `not allowed to listen on ${host}:${port}: ports below 1024 need privileges; choose --port 1024 or higher.`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine: use --host 127.0.0.1, or one of this machine's addresses.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host ${JSON.stringify(host)}: use an IP address such as 127.0.0.1.`;
    default:
      return `cannot listen on ${host}:${port} (${error.code ?? error.message}).`;
  }
}

/** `http://host:port`, with IPv6 addresses in brackets. */
export function baseUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Resolves once SIGINT or SIGTERM arrives (or `stop` is called), after `close` has run: the
 * command then returns and the process exits with status 0 on its own, nothing left open.
 */
export function untilSignal(close: () => Promise<void>): { done: Promise<void>; stop: () => void } {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const signal of signals) process.once(signal, stop);
  const done = stopped.then(async () => {
    for (const signal of signals) process.off(signal, stop);
    await close();
  });
  return { done, stop };
}

/** Closes a server and every connection it still has (SSE streams, keep-alive). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The end of `mmstats serve` and `mmstats web`: warns about an exposed host, starts the server
 * (a port in use is reported, exit status 1), says where it is, and runs until SIGINT or SIGTERM.
 */
export async function runUntilSignal(
  io: CliIo,
  command: string,
  host: string,
  start: () => Promise<RunningServer>,
  where: (url: string) => string,
): Promise<number> {
  warnIfExposed(io, command, host);
  let running: RunningServer;
  try {
    running = await start();
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  io.stdout(`mmstats ${command}: ${where(running.url)}\n`);
  await untilSignal(running.close).done;
  io.stdout(`mmstats ${command}: stopped\n`);
  return EXIT_OK;
}
