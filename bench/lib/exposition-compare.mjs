/**
 * Checks that two expositions carry the same samples, whatever their order, label order or `le`
 * spelling ("1" and "1.0"): proof that both libraries render the same data in the rendering case.
 */
function samples(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    // Our registry's own health families (mmstats_storage_info, …) have no prom-client twin.
    if (line === '' || line.startsWith('#') || line.startsWith('mmstats_')) continue;
    const match = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`Unparseable exposition line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, name, value]) => `${name}=${name === 'le' ? Number.parseFloat(value) : value}`)
      .sort();
    out.set(`${match[1]}{${labels.join(',')}}`, Number.parseFloat(match[3]));
  }
  return out;
}

/** `{ equal, count, difference }`: difference names the first sample that differs. */
export function compareExpositions(a, b) {
  const left = samples(a);
  const right = samples(b);
  for (const [key, value] of left) {
    if (right.get(key) !== value) {
      return { equal: false, count: left.size, difference: `${key}: ${value} vs ${right.get(key)}` };
    }
  }
  if (left.size !== right.size) {
    return { equal: false, count: left.size, difference: `${left.size} vs ${right.size} samples` };
  }
  return { equal: true, count: left.size, difference: '' };
}
