import { endianness } from 'node:os';

/**
 * mmstats files use the writer's native byte order (docs/file-format.md#byte-order). DataView
 * needs it spelled out; it is a module constant so V8 folds it into the hot path.
 */
export const LITTLE_ENDIAN = endianness() === 'LE';
/** Offsets of the low and high 32-bit halves of a native u64. */
export const LO = LITTLE_ENDIAN ? 0 : 4;
export const HI = LITTLE_ENDIAN ? 4 : 0;
