import type { ServerResponse } from 'node:http';

/** Bytes a slow client may have waiting before it misses updates instead of growing our memory. */
const MAX_PENDING = 4 * 1024 * 1024;

/**
 * Server-sent events: one snapshot per tick, computed once for every open page and only while a
 * page is open. EventSource reconnects on its own, so a page survives a restart of the server.
 */
export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly snapshot: () => unknown,
    private readonly intervalMs: number,
  ) {}

  add(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopTicking();
    });
    res.write(`retry: ${this.intervalMs}\n`);
    this.send([res], this.message());
    this.timer ??= setInterval(() => this.send([...this.clients], this.message()), this.intervalMs);
  }

  close(): void {
    this.stopTicking();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private stopTicking(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private message(): string {
    let data: string;
    try {
      data = JSON.stringify(this.snapshot());
    } catch (error) {
      data = JSON.stringify({ error: error instanceof Error ? error.message : String(error) });
    }
    return `data: ${data}\n\n`;
  }

  private send(clients: ServerResponse[], message: string): void {
    for (const res of clients) if (res.writableLength < MAX_PENDING) res.write(message);
  }
}
