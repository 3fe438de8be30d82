import type { NumberCodec } from './codecs.js';
import type { FieldAccess, FieldSlot } from './field-spec.js';

/**
 * A double-buffered number (docs/file-format.md#double-buffering): the new value goes into the
 * buffer readers are told not to read, `buffer[wb]`, and a one-byte store of `wb ^ 1` publishes
 * it. Readers read `buffer[wb ^ 1]`, so they never see a half-written value. On a mapping the
 * publish calls do nothing; the fallback writes the value, then the byte, in that order. Memory
 * ordering on arm64 is as for storage/cell.ts (packages/core/README.md, "Memory ordering").
 */
export function bufferedNumber(slot: FieldSlot, codec: NumberCodec): FieldAccess<number> {
  const { u8, dv, offset } = slot;
  const size = codec.size;
  return {
    get: () => codec.read(dv, offset + 1 + (u8[offset]! ^ 1) * size),
    set(value) {
      const wb = u8[offset]!;
      const at = offset + 1 + wb * size;
      codec.write(dv, at, value);
      slot.publish(at, at + size);
      u8[offset] = wb ^ 1;
      slot.publish(offset, offset + 1);
    },
  };
}

/**
 * A number written in place (write-buffer byte 0xFF, docs/file-format.md#unbuffered-fields): only for one-byte values,
 * whose store cannot tear, and for static fields, which never change after creation.
 */
export function inPlaceNumber(slot: FieldSlot, codec: NumberCodec): FieldAccess<number> {
  const { dv } = slot;
  const at = slot.offset + 1;
  return {
    get: () => codec.read(dv, at),
    set(value) {
      codec.write(dv, at, value);
      slot.publish(at, at + codec.size);
    },
  };
}
