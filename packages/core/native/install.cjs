// Builds the optional mmap binding. A failed build must never fail `npm
// install`: without it @mmstats/core keeps values in memory and writes them to
// the mmstats file with positional writes (the "fallback" backend).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

if (process.env.MMSTATS_SKIP_NATIVE === '1') {
  console.warn('@mmstats/core: MMSTATS_SKIP_NATIVE=1, using the pure-JavaScript file backend');
  process.exit(0);
}
const npmNodeGyp = process.env.npm_config_node_gyp;
const cmd = npmNodeGyp ? process.execPath : 'node-gyp';
const args = npmNodeGyp ? [npmNodeGyp, 'rebuild'] : ['rebuild'];
const result = spawnSync(cmd, args, { cwd: path.join(__dirname, '..'), stdio: 'inherit' });
if (result.status !== 0) {
  console.warn(
    '@mmstats/core: the optional mmap binding did not build (is a C compiler installed?).\n' +
      'Metrics still work: values are kept in memory and flushed to the mmstats file on a short timer.',
  );
}
process.exit(0);
