import { TDigest } from './t-digest.js';

/**
 * prom-client's sliding time window for summary quantiles (`maxAgeSeconds`, `ageBuckets`): the
 * window is cut into `ageBuckets` slots of `maxAgeSeconds / ageBuckets` each; quantiles are read
 * over the current slot and the ones before it, and every rotation forgets the oldest slot. This
 * answers what prom-client's ring of digests answers, where every observation goes into every
 * digest, with one digest push per observation instead of `ageBuckets`.
 *
 * Time is read with `Date.now()` through the global at call time, as prom-client reads it, so
 * fake timers that move `Date` move the window too.
 */
export class QuantileWindow {
  private readonly slots: TDigest[];
  private current = 0;
  private rotateAt: number;
  private readonly slotMillis: number;
  /** Without a window nothing rotates, and an observation reads no clock. */
  private readonly windowed: boolean;

  constructor(maxAgeSeconds: number | undefined, ageBuckets: number | undefined) {
    const windowed = (maxAgeSeconds ?? 0) > 0 && (ageBuckets ?? 0) > 0;
    this.windowed = windowed;
    const slots = windowed ? (ageBuckets as number) : 1;
    this.slots = Array.from({ length: slots }, () => new TDigest());
    this.slotMillis = windowed ? ((maxAgeSeconds as number) * 1000) / slots : Number.POSITIVE_INFINITY;
    this.rotateAt = Date.now() + this.slotMillis;
  }

  push(value: number): void {
    if (this.windowed && Date.now() > this.rotateAt) this.rotate();
    this.slots[this.current]!.push(value);
  }

  /** Observations inside the window now. */
  size(): number {
    this.rotate();
    let count = 0;
    for (const slot of this.slots) count += slot.count;
    return count;
  }

  /** Quantiles over the window, 0 for an empty one (as prom-client writes them). */
  quantiles(qs: readonly number[]): number[] {
    this.rotate();
    let digest = this.slots[this.current]!;
    if (this.slots.length > 1) {
      digest = new TDigest();
      for (const slot of this.slots) digest.absorb(slot);
    }
    return qs.map((q) => digest.quantile(q) || 0);
  }

  reset(): void {
    for (const slot of this.slots) slot.reset();
  }

  private rotate(): void {
    if (!this.windowed) return;
    const now = Date.now();
    if (now - this.rotateAt > this.slotMillis * this.slots.length) {
      // Idle for longer than the whole window: every slot is stale.
      this.reset();
      this.rotateAt += Math.floor((now - this.rotateAt) / this.slotMillis) * this.slotMillis;
    }
    // `>` as prom-client compares: a slot lasts its full length and a moment more.
    while (now > this.rotateAt) {
      this.current = (this.current + 1) % this.slots.length;
      this.slots[this.current]!.reset();
      this.rotateAt += this.slotMillis;
    }
  }
}
