import { basename } from 'node:path';
import { APP_LABEL, START_LABEL } from '../storage/app-identity.js';
import type { MmstatsFile } from './reader.js';

/** The value of a static string field, e.g. `mmstats.app`. */
export function stringField(file: MmstatsFile, label: string): string | undefined {
  const field = file.fields.find((f) => f.label === label);
  return typeof field?.value === 'string' ? field.value : undefined;
}

/** The application a file belongs to (`mmstats.app`); undefined for files of other writers. */
export function appOf(file: MmstatsFile): string | undefined {
  return stringField(file, APP_LABEL);
}

/**
 * What names one file of one writer for the archive's list of folded files: its name and its
 * writer's start time, so a later process that reuses the PID, and so the name, is not taken for it.
 */
export function fileKey(file: MmstatsFile): string {
  const created = file.fields.find((f) => f.label.endsWith('sys.created'))?.value;
  return `${basename(file.path)}@${stringField(file, START_LABEL) ?? String(created ?? '')}`;
}
