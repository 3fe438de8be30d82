/** mmstats sizes files in pages of Python's `mmap.PAGESIZE`, 4096 on x86-64 Linux (docs/file-format.md#header). */
export const PAGE_SIZE = 4096;
/** Old readers stop on a zero `label_len`, so two zero bytes must follow the last record (docs/file-format.md#end-of-records). */
export const END_MARKER = 2;
/** The write-buffer byte of a field that is not double-buffered (docs/file-format.md#double-buffering). */
export const UNBUFFERED = 0xff;
/** A label's length is a 16-bit field. */
export const MAX_LABEL_BYTES = 0xffff;
