import { parseArgs } from 'node:util';

/**
 * `parseArgs` for a bench script: a mistyped option or value ends the run with what was wrong and
 * the options the script knows, instead of a stack trace.
 */
export function benchArgs(script, config) {
  try {
    return parseArgs(config);
  } catch (error) {
    const known = Object.keys(config.options)
      .map((name) => `--${name}`)
      .join(' ');
    console.error(`${script}: ${error.message}\noptions: ${known}`);
    process.exit(2);
  }
}
