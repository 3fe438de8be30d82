import { readFileSync } from 'node:fs';

/**
 * Instructions per function from one callgrind output file, JIT-compiled JavaScript named through
 * the perf map Node writes with `--perf-basic-prof` (callgrind itself only sees addresses there).
 * Returns, per function name, its own instructions (`self`) and what each function it called cost
 * in all (`calls`: callee name -> instructions, callees included).
 */
export function readCallgrind(file, perfMapFile) {
  const jit = readPerfMap(perfMapFile);
  const names = new Map();
  const self = new Map();
  const calls = new Map();
  let fn = null;
  let callee = null;
  let callCostNext = false;

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
    else if (/^[0-9+\-*]/.test(line)) {
      const cost = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (callCostNext) {
        if (!calls.has(fn)) calls.set(fn, new Map());
        add(calls.get(fn), callee, cost);
        callCostNext = false;
      } else add(self, fn, cost);
    }
  }
  return { self, calls };
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
