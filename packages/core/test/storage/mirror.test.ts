import { describe, expect, it } from 'vitest';
import { encodeLabel, Segment } from '../../src/file-format/segment.js';
import { ImageMirror } from '../../src/storage/image-mirror.js';
import { parseImage } from './support/file-parser.js';

/**
 * The fallback backend writes the file with plain positional writes, which the kernel copies in
 * address order while a reader may be copying the same bytes. These tests stop every write after
 * each byte, as a reader could see it, and parse what the file holds at that moment.
 */

type Shown = Map<string, number | string>;

function shown(file: Uint8Array): Shown {
  return new Map(parseImage(file).fields.map((f) => [f.label, f.value]));
}

/** Every state a reader could see during `write(file, bytes, start, end)`, checked by `ok`. */
function interruptedStates(
  file: Uint8Array,
  bytes: Uint8Array,
  start: number,
  end: number,
  ok: (state: Shown) => boolean,
): number {
  let bad = 0;
  for (let k = start; k <= end; k++) {
    const state = file.slice();
    state.set(bytes.subarray(start, k), start);
    let view: Shown;
    try {
      view = shown(state);
    } catch {
      bad++;
      continue;
    }
    if (!ok(view)) bad++;
  }
  file.set(bytes.subarray(start, end), start);
  return bad;
}

function setup() {
  const image = new Segment(new ArrayBuffer(4096));
  image.appendStatic(encodeLabel('sys.pid'), 'I', new Uint8Array([1, 0, 0, 0]));
  const a = image.appendNumeric(encodeLabel('a_total'), 'd')!;
  const b = image.appendNumeric(encodeLabel('b_bucket{le="+Inf"}'), 'Q')!;
  return { image, a, b };
}

/** Before and after values a reader may see: anything else is torn or invented. */
function consistent(before: Shown, after: Shown): (state: Shown) => boolean {
  return (state) => {
    for (const [label, value] of state) {
      const allowed = [before.get(label), after.get(label)].filter((v) => v !== undefined);
      if (!allowed.includes(value)) return false;
    }
    // Fields present before never disappear.
    for (const label of before.keys()) if (!state.has(label)) return false;
    return true;
  };
}

describe('fallback flush (ImageMirror)', () => {
  it('a reader interrupting either write at any byte sees only whole values and whole records', () => {
    const { image, a, b } = setup();
    const file = image.u8.slice();
    let bad = 0;
    let before: Shown = shown(file);
    let after: Shown = before;
    const mirror = new ImageMirror(image, (bytes, start, end) => {
      bad += interruptedStates(file, bytes, start, end, consistent(before, after));
    });
    for (let round = 0; round < 4; round++) {
      // Odd and even numbers of updates, new series, and a static string.
      for (let i = 0; i <= round; i++) a.addD(1.5 * 2 ** (40 + round));
      b.addQ(2 ** 33 + round);
      image.appendNumeric(encodeLabel(`new_${round}{route="/r"}`), 'd')!.setD(1e15 + round);
      if (round === 2) image.appendStatic(encodeLabel('mmstats.meta.x'), '5s', encodeLabel('hello'));
      before = shown(file);
      after = shown(image.u8);
      mirror.flush();
      expect(shown(file)).toEqual(after);
    }
    expect(bad).toBe(0);
  });

  it('writes nothing when nothing changed', () => {
    const { image, a } = setup();
    let writes = 0;
    const mirror = new ImageMirror(image, () => {
      writes++;
    });
    mirror.flush();
    expect(writes).toBe(0);
    a.addD(1);
    a.addD(-1);
    mirror.flush();
    expect(writes).toBe(0);
    a.addD(1);
    mirror.flush();
    expect(writes).toBe(2);
  });

  it('control: one plain write of the image lets a reader see torn values (why the mirror exists)', () => {
    const { image, a, b } = setup();
    const file = image.u8.slice();
    a.setD(1.5 * 2 ** 40);
    b.setQ(2 ** 33);
    image.appendNumeric(encodeLabel('late'), 'd')!.setD(3);
    const bad = interruptedStates(
      file,
      image.u8,
      0,
      image.used + 2,
      consistent(shown(file), shown(image.u8)),
    );
    expect(bad).toBeGreaterThan(0);
  });
});
