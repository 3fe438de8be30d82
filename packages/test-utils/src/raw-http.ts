import { connect } from 'node:net';

/** What came back for one raw request: the status, or 0 when the server closed without one. */
export interface RawResponse {
  status: number;
  text: string;
}

/**
 * Sends `request` bytes as they are on a connection of its own (no client library to normalise
 * the target) and reads until the server closes; bounded by `timeoutMs`.
 */
export function rawRequest(port: number, request: string, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(request.slice(0, 80))}`));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : 0, text });
    });
    // Not end(): a half-closed connection is one some frameworks stop answering on.
    socket.write(request);
  });
}

/** `GET <target>` with `Connection: close`. */
export function rawGet(port: number, target: string, headers = ''): Promise<RawResponse> {
  return rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`);
}

/** A small seeded generator (mulberry32), so a failing path can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATH_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/";

/**
 * Request targets a scanner or a fuzzer sends: valid HTTP, but bad percent-encoding, over-long
 * parameters, dot segments, encoded slashes and NULs, random bytes escaped.
 */
export function hostileTargets(count: number, seed = 19): string[] {
  const random = seeded(seed);
  const pick = (text: string) => text[Math.floor(random() * text.length)]!;
  const fixed = [
    '/users/%E0%A4%A',
    '/users/%',
    '/users/%zz',
    `/users/${'a'.repeat(300)}`,
    '/%2e%2e/%2e%2e/etc/passwd',
    '/users/%00',
    '/users/1/../../metrics/x',
    '//users//1',
    '/users/1?x=%zz',
    '/api/v1/items/%C0%AF',
    `/${'x/'.repeat(200)}`,
  ];
  const targets = [...fixed];
  while (targets.length < count) {
    let path = random() < 0.5 ? '/users/' : '/';
    const length = 1 + Math.floor(random() * (random() < 0.1 ? 400 : 30));
    for (let i = 0; i < length; i++) {
      const r = random();
      if (r < 0.1)
        path += `%${Math.floor(random() * 256)
          .toString(16)
          .padStart(2, '0')
          .toUpperCase()}`;
      else if (r < 0.13) path += `%${pick('0123456789ABCDEFGXYZ')}`;
      else path += pick(PATH_CHARS);
    }
    targets.push(path);
  }
  return targets;
}
