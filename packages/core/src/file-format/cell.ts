import { HI, LITTLE_ENDIAN as LE, LO } from './byte-order.js';

const TWO_32 = 4294967296;

/**
 * One double-buffered mmstats field (docs/file-format.md#double-buffering): `off` is the
 * write-buffer byte, the two buffers follow it. Every update writes the buffer readers are told
 * not to read, then publishes it with a one-byte store, so a reader in another process never sees
 * a half-written value. The same class serves an in-memory segment and a shared file mapping,
 * which is why turning files on costs (almost) nothing.
 *
 * x86 keeps stores in program order; V8 does not reorder these stores either. On weakly ordered
 * CPUs (arm64) the publishing store would want release semantics, which plain JavaScript cannot
 * express on a non-shared buffer: see packages/core/README.md, "Memory ordering".
 *
 * Its members are marked internal: the public types of the series that extend a cell (CounterChild,
 * GaugeChild) show only their own methods, so `setD` cannot bypass "counters only go up".
 */
export class Cell {
  /** @internal */
  u8: Uint8Array;
  /** @internal */
  dv: DataView;
  /** @internal */
  off: number;

  /** @internal */
  constructor(u8: Uint8Array, dv: DataView, off: number) {
    this.u8 = u8;
    this.dv = dv;
    this.off = off;
  }

  /** @internal Value of a `d` field. */
  getD(): number {
    const wb = this.u8[this.off]!;
    return this.dv.getFloat64(this.off + 1 + ((wb ^ 1) << 3), LE);
  }

  /** @internal */
  setD(value: number): void {
    const u8 = this.u8;
    const off = this.off;
    const wb = u8[off]!;
    this.dv.setFloat64(off + 1 + (wb << 3), value, LE);
    u8[off] = wb ^ 1;
  }

  /** @internal */
  addD(delta: number): void {
    const u8 = this.u8;
    const dv = this.dv;
    const off = this.off;
    const wb = u8[off]!;
    const value = dv.getFloat64(off + 1 + ((wb ^ 1) << 3), LE) + delta;
    dv.setFloat64(off + 1 + (wb << 3), value, LE);
    u8[off] = wb ^ 1;
  }

  /** @internal Value of a `Q` field; exact up to 2^53. */
  getQ(): number {
    const r = this.off + 1 + ((this.u8[this.off]! ^ 1) << 3);
    return this.dv.getUint32(r + LO, LE) + this.dv.getUint32(r + HI, LE) * TWO_32;
  }

  /** @internal */
  setQ(value: number): void {
    const u8 = this.u8;
    const off = this.off;
    const wb = u8[off]!;
    const w = off + 1 + (wb << 3);
    // Two 32-bit halves instead of a BigInt store: nobody reads this buffer until the flip below.
    this.dv.setUint32(w + LO, value >>> 0, LE);
    this.dv.setUint32(w + HI, (value / TWO_32) >>> 0, LE);
    u8[off] = wb ^ 1;
  }

  /** @internal */
  addQ(delta: number): void {
    const u8 = this.u8;
    const dv = this.dv;
    const off = this.off;
    const wb = u8[off]!;
    const r = off + 1 + ((wb ^ 1) << 3);
    const w = off + 1 + (wb << 3);
    const value = dv.getUint32(r + LO, LE) + dv.getUint32(r + HI, LE) * TWO_32 + delta;
    dv.setUint32(w + LO, value >>> 0, LE);
    dv.setUint32(w + HI, (value / TWO_32) >>> 0, LE);
    u8[off] = wb ^ 1;
  }
}
