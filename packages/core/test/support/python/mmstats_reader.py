#!/usr/bin/env python3
"""An mmstats version-1 reader written only from docs/file-format.md (records, worked example,
writers and readers, label length), independent of the TypeScript reader, so that tests can check that both read the
same bytes the same way.

Usage: mmstats_reader.py [--byte-order native|little|big] FILE...

Prints one JSON array: per file {"path", "ok": true, "fields": [{"label", "sig", "value",
"buffered"}]} or {"path", "ok": false, "reason"}. JSON has no NaN or infinities: such floats are
written as the strings "NaN", "+Inf", "-Inf".
"""
import json
import math
import re
import struct
import sys

UNBUFFERED = 0xFF
# Section 11.3: the codes a version-1 file may use; "<N>s" is a NUL padded string.
SIGNATURE = re.compile(r'^(?:[QqIiHhBb?fd]|[0-9]*s)$')


class Malformed(Exception):
    pass


class Cursor:
    def __init__(self, data, order):
        self.data = data
        self.order = order
        self.pos = 0

    def take(self, n, what):
        if self.pos + n > len(self.data):
            raise Malformed('truncated %s at offset %d' % (what, self.pos))
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u16(self, what):
        return struct.unpack(self.order + 'H', self.take(2, what))[0]


def json_value(sig, raw, order):
    if sig.endswith('s'):
        # Section 3.5: NUL padded, no NUL when full; strip from the first NUL.
        return raw.split(b'\x00', 1)[0].decode('utf-8', 'replace')
    value = struct.unpack(order + sig, raw)[0]
    if isinstance(value, float) and not math.isfinite(value):
        return 'NaN' if math.isnan(value) else ('+Inf' if value > 0 else '-Inf')
    return value


def read_record(cur):
    label_bytes = cur.take(cur.u16('label length'), 'label')
    try:
        label = label_bytes.decode('utf-8')
    except UnicodeDecodeError:
        raise Malformed('label is not UTF-8')
    sig_len = cur.u16('signature length')
    if sig_len == 0:
        raise Malformed('signature length 0')
    sig = cur.take(sig_len, 'signature').decode('latin-1')
    if not SIGNATURE.match(sig):
        raise Malformed('unknown signature %r' % sig)
    size = struct.calcsize('<' + sig)
    write_buffer = cur.take(1, 'write buffer')[0]
    if write_buffer == UNBUFFERED:
        raw = cur.take(size, 'value')
    elif write_buffer in (0, 1):
        # Section 3.3: the writer fills buffer[wb] next; readers read buffer[wb ^ 1].
        both = cur.take(2 * size, 'values')
        start = (write_buffer ^ 1) * size
        raw = both[start:start + size]
    else:
        raise Malformed('write buffer byte %d' % write_buffer)
    # Section 14.6: a label of 256*k + 1 bytes ending in a space was padded by the writer.
    if len(label_bytes) > 256 and len(label_bytes) % 256 == 1 and label.endswith(' '):
        label = label[:-1]
    return {
        'label': label,
        'sig': sig,
        'value': json_value(sig, raw, cur.order),
        'buffered': write_buffer != UNBUFFERED,
    }


def read_fields(data, order):
    if len(data) == 0:
        raise Malformed('empty file')
    if data[0] != 1:
        raise Malformed('version %d' % data[0])
    cur = Cursor(data, order)
    cur.pos = 1
    fields = []
    while cur.pos < len(data):
        # Section 3.7: a zero label length, a single zero byte or the end of data ends the fields.
        if cur.pos + 1 == len(data) and data[cur.pos] == 0:
            break
        if cur.pos + 2 <= len(data) and data[cur.pos] == 0 and data[cur.pos + 1] == 0:
            break
        fields.append(read_record(cur))
    return fields


def main(argv):
    order = {'little': '<', 'big': '>'}.get(sys.byteorder)
    paths = []
    args = iter(argv)
    for arg in args:
        if arg == '--byte-order':
            choice = next(args, 'native')
            order = {'little': '<', 'big': '>', 'native': order}[choice]
        else:
            paths.append(arg)
    out = []
    for path in paths:
        try:
            with open(path, 'rb') as f:
                data = f.read()
            out.append({'path': path, 'ok': True, 'fields': read_fields(data, order)})
        except (Malformed, OSError) as e:
            out.append({'path': path, 'ok': False, 'reason': str(e)})
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main(sys.argv[1:])
