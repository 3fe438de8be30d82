import type { Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Readable } from 'node:stream';

/** One sample of an exposition: name, labels, value. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Samples of a text or OpenMetrics exposition (comments skipped; label values unescaped). */
export function parseSamples(text: string): ParsedSample[] {
  const samples: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Samples named `name` whose labels include every pair of `labels`. */
export function samplesOf(text: string, name: string, labels: Record<string, string> = {}): ParsedSample[] {
  return parseSamples(text).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The value of the one sample matching, or undefined when there is none (throws when several match). */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samplesOf(text, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export function baseUrl(server: Server): string {
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export interface FetchedText {
  status: number;
  headers: Headers;
  body: string;
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<FetchedText> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Sends `count` requests, `concurrency` at a time, over keep-alive connections. */
export async function many(
  count: number,
  concurrency: number,
  url: (i: number) => string,
): Promise<number[]> {
  const statuses: number[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(url(i), { redirect: 'manual' });
      await res.arrayBuffer();
      statuses[i] = res.status;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/**
 * Starts a GET and destroys its socket once `arrived` resolves (the server has the request),
 * so the response never completes: the client-gone case.
 */
export function abortedGet(url: string, arrived: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.on('response', (res) => res.resume());
    req.end();
    void arrived.then(() => req.destroy());
  });
}

/** A body that arrives in three chunks 40 ms apart: its request lasts at least 80 ms. */
export function slowStream(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === 3) {
        this.push(null);
        return;
      }
      sent++;
      setTimeout(() => this.push(`chunk ${sent}\n`), sent === 1 ? 0 : 40);
    },
  });
}

/** A promise with its resolve function, for routes the test releases. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Sends GET requests for `paths` pipelined on one connection (all written at once, HTTP/1.1)
 * and resolves with the raw responses once `expected` status lines have arrived, closing the
 * connection then (so requests still pending behind them are abandoned by the client).
 */
export function pipelined(url: string, paths: string[], expected: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      received += chunk;
      if ((received.match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= expected) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`).join(''));
  });
}
