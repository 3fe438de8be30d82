import type { FamilySnapshot } from '../exposition/model.js';
import type { Store } from '../storage/store.js';
import type { RegisteredMetric } from './contracts.js';
import { escapeLabelValue } from './labels.js';

/** Family names the registry writes itself: no metric of the application may take them. */
export const HEALTH_FAMILY_NAMES: ReadonlySet<string> = new Set([
  'mmstats_storage_info',
  'mmstats_storage_file_live',
  'mmstats_storage_errors_total',
  'mmstats_storage_fields_memory_only',
  'mmstats_series_refused_total',
  'mmstats_cluster_files_skipped',
]);

/**
 * The registry's own health, served after the application's metrics: which storage backend is
 * in use, whether this process's file still gets every value, how many storage failures there
 * were, and the label sets refused by cardinality limits. Families of their own, not metrics in
 * the registry: they never clash with the application's names and are never written to a file.
 */
export function healthFamilies(
  store: Store | undefined,
  metrics: Iterable<RegisteredMetric>,
): FamilySnapshot[] {
  const families: FamilySnapshot[] = [];
  const status = store?.status?.();
  if (store !== undefined && status !== undefined) {
    families.push(
      {
        name: 'mmstats_storage_info',
        help: 'Storage backend of this registry: mmap, fallback, or memory when files could not be made.',
        type: 'gauge',
        unit: '',
        samples: [{ suffix: '', labels: `backend="${store.backend}"`, value: 1 }],
      },
      {
        name: 'mmstats_storage_file_live',
        help: '1 while every value of this process reaches its mmstats file; 0 when the file is gone, unwritable or values live in memory only.',
        type: 'gauge',
        unit: '',
        samples: [{ suffix: '', labels: '', value: status.live ? 1 : 0 }],
      },
      {
        name: 'mmstats_storage_errors_total',
        help: 'Failures to make, write or keep the mmstats files of this process.',
        type: 'counter',
        unit: '',
        samples: [{ suffix: '', labels: '', value: status.errors }],
      },
      {
        name: 'mmstats_storage_fields_memory_only',
        help: "Fields of this process left out of its mmstats file, by reason (label_too_long: over the format's 64 KiB); they are in this /metrics only.",
        type: 'gauge',
        unit: '',
        samples: [{ suffix: '', labels: 'reason="label_too_long"', value: status.memoryOnlyFields }],
      },
    );
  }
  const refused: FamilySnapshot['samples'] = [];
  for (const metric of metrics) {
    const count = metric.refusedLabelSets ?? 0;
    if (count > 0)
      refused.push({ suffix: '', labels: `metric="${escapeLabelValue(metric.name)}"`, value: count });
  }
  if (refused.length > 0) {
    families.push({
      name: 'mmstats_series_refused_total',
      help: 'Recordings whose new label set was refused because the metric had reached its cardinality limit; they were counted in its __overflow__ series.',
      type: 'counter',
      unit: '',
      samples: refused,
    });
  }
  return families;
}
