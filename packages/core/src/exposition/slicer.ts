import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Longest stretch a large scrape keeps the event loop before it lets other work run. */
export const SLICE_MILLISECONDS = 4;

/** Items (series, fields, samples) handled between two looks at the clock. */
export const SLICE_ITEMS = 512;

/**
 * Cuts long synchronous work into slices: `due()` is cheap enough to call per item and says when
 * the slice is used up; `pause()` then yields to the event loop (setImmediate, after pending I/O),
 * so requests keep being served while a big exposition is built.
 */
export class Slicer {
  private started = performance.now();
  private count = 0;

  constructor(private readonly budget: number = SLICE_MILLISECONDS) {}

  /** True once the slice's time is up (the clock is read every SLICE_ITEMS calls). */
  due(items = 1): boolean {
    this.count += items;
    if (this.count < SLICE_ITEMS) return false;
    this.count = 0;
    return performance.now() - this.started >= this.budget;
  }

  async pause(): Promise<void> {
    await nextTurn();
    this.started = performance.now();
    this.count = 0;
  }
}
