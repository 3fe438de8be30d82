import type { FamilySnapshot } from '../exposition/model.js';
import { escapeLabelValue } from '../metrics/labels.js';
import type { AppsView } from './apps-exposition.js';

/**
 * The exporter's own two gauges, so a scrape can be alerted on when files stop being readable:
 * the files read per app, and the paths skipped (their reasons are on `/` and stderr). Left out
 * when an app already has a family of the same name.
 */
export function healthFamilies(view: AppsView): FamilySnapshot[] {
  const taken = new Set(view.families.map((f) => f.name));
  const families: FamilySnapshot[] = [
    {
      name: 'mmstats_serve_files',
      help: 'mmstats files read at this scrape, per app.',
      type: 'gauge',
      unit: '',
      samples: [...view.apps].map(([app, files]) => ({
        suffix: '',
        labels: `app="${escapeLabelValue(app)}"`,
        value: files.length,
      })),
    },
    {
      name: 'mmstats_serve_skipped_files',
      help: 'Paths that could not be read at this scrape; GET / says why.',
      type: 'gauge',
      unit: '',
      samples: [{ suffix: '', labels: '', value: view.skipped.length }],
    },
  ];
  return families.filter((f) => !taken.has(f.name));
}
