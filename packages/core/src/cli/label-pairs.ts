/** `k="v",…` as the exposition writes it (values escaped), split into pairs with values unescaped. */
export function labelPairs(labels: string): [string, string][] {
  const pairs: [string, string][] = [];
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
  for (let m = pair.exec(labels); m !== null; m = pair.exec(labels)) {
    pairs.push([m[1]!, m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))]);
  }
  return pairs;
}
