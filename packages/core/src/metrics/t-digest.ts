/**
 * A merging t-digest (Dunning, "Computing extremely accurate quantiles using t-digests", 2019):
 * observations are appended to a buffer, and only when it is full (or a quantile is asked for)
 * are they sorted and merged with the centroids in one linear pass. prom-client uses the `tdigest`
 * package, which inserts every observation into a red-black tree of centroids; buffering makes an
 * observation a store and a compare instead, and the merge a typed-array sort.
 *
 * Quantiles are read as `tdigest` reads them (the value at rank `n * q`, interpolated between the
 * ranks of the neighbouring centroids' midpoints), so while every distinct value still has a
 * centroid of its own (up to MAX_CENTROIDS of them) the answers are the same as prom-client's.
 */
export class TDigest {
  private means: Float64Array;
  private weights: Float64Array;
  private size = 0;
  private readonly buffer: Float64Array;
  private buffered = 0;
  private total = 0;

  constructor(
    /** Larger keeps more centroids: more accurate, slower merges. */
    private readonly compression = 100,
    bufferSize = 128,
  ) {
    // Centroid arrays grow as distinct values arrive: a series observing one value stays small.
    this.means = new Float64Array(2 * bufferSize);
    this.weights = new Float64Array(2 * bufferSize);
    this.buffer = new Float64Array(bufferSize);
  }

  /** Observations held, buffered or merged. */
  get count(): number {
    return this.total + this.buffered;
  }

  push(value: number): void {
    this.buffer[this.buffered++] = value;
    if (this.buffered === this.buffer.length) this.flush();
  }

  /** Adds another digest's observations (the windows of a summary are read as one). */
  absorb(other: TDigest): void {
    other.flush();
    this.flush();
    if (other.size === 0) return;
    const means = new Float64Array(this.size + other.size);
    const weights = new Float64Array(this.size + other.size);
    means.set(this.means.subarray(0, this.size));
    weights.set(this.weights.subarray(0, this.size));
    means.set(other.means.subarray(0, other.size), this.size);
    weights.set(other.weights.subarray(0, other.size), this.size);
    const order = Array.from(means.keys()).sort((a, b) => means[a]! - means[b]!);
    this.rebuild(
      order.map((i) => means[i]!),
      order.map((i) => weights[i]!),
      this.total + other.total,
    );
  }

  reset(): void {
    this.size = 0;
    this.buffered = 0;
    this.total = 0;
  }

  /** The value below which a fraction `q` of the observations fall; undefined when empty. */
  quantile(q: number): number | undefined {
    this.flush();
    const n = this.size;
    if (n === 0) return undefined;
    const means = this.means;
    const weights = this.weights;
    const rank = this.total * q;
    // The last centroid whose midpoint rank is <= rank, as tdigest's bound_mean_cumn finds it.
    let cumulative = 0;
    let lowerMid = Number.NaN;
    let lower = -1;
    for (let i = 0; i < n; i++) {
      const mid = cumulative + weights[i]! / 2;
      if (mid > rank) {
        if (lower < 0) return means[i];
        if (lowerMid === rank) return means[lower];
        return means[lower]! + ((rank - lowerMid) * (means[i]! - means[lower]!)) / (mid - lowerMid);
      }
      lower = i;
      lowerMid = mid;
      cumulative += weights[i]!;
    }
    return means[n - 1];
  }

  /** Merges the buffer into the centroids. */
  flush(): void {
    const count = this.buffered;
    if (count === 0) return;
    this.buffered = 0;
    const incoming = this.buffer.subarray(0, count).sort();
    this.ensureRoom(this.size + count);
    // Merge two sorted runs (centroids, buffer) from the back, in place: the arrays have room for both.
    const means = this.means;
    const weights = this.weights;
    let i = this.size - 1;
    let j = count - 1;
    let k = this.size + count - 1;
    while (j >= 0) {
      if (i >= 0 && means[i]! > incoming[j]!) {
        means[k] = means[i]!;
        weights[k--] = weights[i--]!;
      } else {
        means[k] = incoming[j--]!;
        weights[k--] = 1;
      }
    }
    this.total += count;
    // Equal values share one centroid, so repeated values never use up room.
    let out = 0;
    const end = this.size + count;
    for (let r = 1; r < end; r++) {
      if (means[r] === means[out]) weights[out]! += weights[r]!;
      else {
        out++;
        means[out] = means[r]!;
        weights[out] = weights[r]!;
      }
    }
    this.size = end === 0 ? 0 : out + 1;
    if (this.size > MAX_CENTROIDS) this.compress();
  }

  private rebuild(means: readonly number[], weights: readonly number[], total: number): void {
    this.ensureRoom(means.length);
    let out = -1;
    for (let i = 0; i < means.length; i++) {
      if (out >= 0 && this.means[out] === means[i]) this.weights[out]! += weights[i]!;
      else {
        out++;
        this.means[out] = means[i]!;
        this.weights[out] = weights[i]!;
      }
    }
    this.size = out + 1;
    this.total = total;
    if (this.size > MAX_CENTROIDS) this.compress();
  }

  private ensureRoom(needed: number): void {
    if (this.means.length >= needed) return;
    const length = Math.max(needed, 2 * this.means.length);
    const means = new Float64Array(length);
    const weights = new Float64Array(length);
    means.set(this.means.subarray(0, this.size));
    weights.set(this.weights.subarray(0, this.size));
    this.means = means;
    this.weights = weights;
  }

  /**
   * One pass merging neighbours while the merged centroid stays within one unit of the k1 scale
   * function `k(q) = compression / (2π) · asin(2q − 1)`: small centroids at the tails, where
   * quantiles such as 0.999 need precision, large ones in the middle.
   */
  private compress(): void {
    const means = this.means;
    const weights = this.weights;
    const total = this.total;
    const scale = this.compression / (2 * Math.PI);
    const k = (q: number) => scale * Math.asin(2 * Math.min(1, Math.max(0, q)) - 1);
    const kInverse = (value: number) => (Math.sin(value / scale) + 1) / 2;
    let out = 0;
    let before = 0;
    let limit = total * kInverse(k(0) + 1);
    for (let r = 1; r < this.size; r++) {
      const w = weights[r]!;
      if (before + weights[out]! + w <= limit) {
        const merged = weights[out]! + w;
        means[out]! += ((means[r]! - means[out]!) * w) / merged;
        weights[out] = merged;
      } else {
        before += weights[out]!;
        limit = total * kInverse(k(before / total) + 1);
        out++;
        means[out] = means[r]!;
        weights[out] = w;
      }
    }
    this.size = out + 1;
  }
}

/** Distinct values kept exactly before centroids are merged. */
const MAX_CENTROIDS = 500;
