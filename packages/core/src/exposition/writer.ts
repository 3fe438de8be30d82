/**
 * Collects a scrape's text in one growing byte buffer rather than one string of `+=`. With
 * thousands of series a `+=` rope holds every piece alive until the end, so the garbage
 * collector copies and marks ~100k strings per scrape (two thirds of the render time at 6,000
 * histogram series); written here, each series' text dies young and the buffer is off the heap.
 * Text known to be ASCII is copied byte for byte, the cheapest encoding, and so is the result
 * when nothing else was written.
 */
export class ExpositionWriter {
  private buffer: Buffer;
  private used = 0;
  private wide = false;

  constructor(initialBytes = 0, reuse?: Buffer) {
    this.buffer =
      reuse !== undefined && reuse.length >= initialBytes
        ? reuse
        : Buffer.allocUnsafe(Math.max(initialBytes, 64 * 1024));
  }

  /** The buffer, to hand to the next writer: a scrape then allocates nothing outside the heap. */
  get storage(): Buffer {
    return this.buffer;
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.used;
  }

  /** `ascii`: the caller knows that `text` has only characters below U+0080. */
  write(text: string, ascii: boolean): void {
    const most = ascii ? text.length : text.length * 3;
    if (this.used + most > this.buffer.length) this.grow(most);
    if (ascii) this.used += this.buffer.write(text, this.used, 'latin1');
    else {
      this.wide = true;
      this.used += this.buffer.write(text, this.used, 'utf8');
    }
  }

  /**
   * The bytes written, as UTF-8, without a copy: for a writer that is not reused. A big scrape
   * then never becomes one long string, whose creation and re-encoding hold the event loop.
   */
  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  toString(): string {
    return this.buffer.toString(this.wide ? 'utf8' : 'latin1', 0, this.used);
  }

  private grow(most: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + most));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }
}

/** True when every character is below U+0080 (one byte in both latin1 and UTF-8). */
export function isAscii(text: string): boolean {
  return !/[\u0080-\uffff]/.test(text);
}
