import { readFileSync } from 'node:fs';

/**
 * Costs per function from one callgrind output file, JIT-compiled JavaScript named through the
 * perf map Node writes with `--perf-basic-prof` (callgrind itself only sees addresses there).
 * `events` picks the columns (`Ir` instructions; with `--cache-sim=yes` also `I1mr`, `D1mr`, …),
 * all read in one pass over the file. Returns, per event, per function name, its own cost (`self`)
 * and what each function it called cost in all (`calls`: callee name -> cost, callees included).
 */
export function readCallgrind(file, perfMapFile, events = ['Ir']) {
  const jit = readPerfMap(perfMapFile);
  const names = new Map();
  const costs = Object.fromEntries(events.map((e) => [e, { self: new Map(), calls: new Map() }]));
  let fn = null;
  let callee = null;
  let callCostNext = false;
  let columns = [];

  const name = (token) => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(token);
    if (m === null) return token;
    if (m[2] !== undefined) names.set(m[1], m[2]);
    return names.get(m[1]) ?? token;
  };
  const add = (map, key, value) => map.set(key, (map.get(key) ?? 0) + value);

  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) fn = jit(name(line.slice(3)));
    else if (line.startsWith('cfn=')) callee = jit(name(line.slice(4)));
    else if (line.startsWith('calls=')) callCostNext = true;
    else if (line.startsWith('events:')) columns = events.map((e) => eventColumn(line, e));
    else if (/^[0-9+\-*]/.test(line)) {
      // A cost line: a position, then one number per event; trailing zeros may be left out.
      const fields = line.trim().split(/\s+/);
      events.forEach((event, i) => {
        const cost = Number(fields[1 + columns[i]] ?? 0);
        const { self, calls } = costs[event];
        if (callCostNext) {
          if (!calls.has(fn)) calls.set(fn, new Map());
          add(calls.get(fn), callee, cost);
        } else add(self, fn, cost);
      });
      callCostNext = false;
    }
  }
  return costs;
}

/** The file's totals by event name, from its `events:` and `summary:` lines. */
export function readTotals(file) {
  const text = readFileSync(file, 'utf8');
  const events = /^events: (.*)$/m.exec(text);
  const summary = /^summary: (.*)$/m.exec(text);
  if (events === null || summary === null) throw new Error(`${file}: no events or summary line`);
  const values = summary[1].trim().split(/\s+/).map(Number);
  return new Map(
    events[1]
      .trim()
      .split(/\s+/)
      .map((e, i) => [e, values[i] ?? 0]),
  );
}

function eventColumn(line, event) {
  const column = line.slice('events:'.length).trim().split(/\s+/).indexOf(event);
  if (column < 0) throw new Error(`callgrind output has no event ${event} (${line})`);
  return column;
}

/** Names an address-only function through the perf map: `JS:*name file:line:col` and the like. */
function readPerfMap(file) {
  const ranges = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [start, size, ...rest] = line.split(' ');
    if (rest.length > 0) ranges.push([Number.parseInt(start, 16), Number.parseInt(size, 16), rest.join(' ')]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  return (fnName) => {
    const m = /^0x([0-9a-f]+)/.exec(fnName);
    if (m === null) return fnName;
    const address = Number.parseInt(m[1], 16);
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid][0] <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    const range = ranges[hi];
    return range !== undefined && address < range[0] + range[1] ? range[2] : 'JIT code, unnamed';
  };
}
