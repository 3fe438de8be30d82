import { parseArgs } from 'node:util';
import { type CliIo, EXIT_USAGE } from './io.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Node's own parser (no dependency): options anywhere, `--` ends them. A mistake prints what was
 * wrong and the command's usage to stderr and yields the usage exit code.
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: OptionSpec,
  usage: string,
  io: CliIo,
): Parsed | number {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help === true) {
      io.stdout(usage);
      return 0;
    }
    return { values: values as Parsed['values'], positionals };
  } catch (error) {
    return usageError(io, error instanceof Error ? error.message.split('\n')[0]! : String(error), usage);
  }
}

export function usageError(io: CliIo, message: string, usage: string): number {
  io.stderr(`mmstats: ${message}\n\n${usage}`);
  return EXIT_USAGE;
}

/** `--byte-order` shared by the commands that read files. */
export function byteOrderOption(value: string | boolean | undefined): 'native' | 'little' | 'big' | null {
  if (value === undefined) return 'native';
  return value === 'native' || value === 'little' || value === 'big' ? value : null;
}
