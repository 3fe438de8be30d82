import type { FamilySnapshot } from './model.js';
import { type ExpositionFormat, exposedFamilyName, familyHeader, sampleLine } from './render.js';
import { Slicer } from './slicer.js';
import { ExpositionWriter, isAscii } from './writer.js';

/**
 * `renderExposition` as UTF-8 bytes, in slices of a few milliseconds with the event loop free in between: the
 * same text, for expositions too big to build in one go in a serving process.
 */
export async function renderExpositionInSlices(
  families: Iterable<FamilySnapshot>,
  format: ExpositionFormat = 'text',
  slicer: Slicer = new Slicer(),
): Promise<Buffer> {
  const om = format === 'openmetrics';
  const writer = new ExpositionWriter();
  for (const family of families) {
    const name = exposedFamilyName(family.name, family.type, om);
    writer.write(familyHeader(name, family.help, family.type, family.unit, om), isAscii(family.help));
    const counterSuffix = om && family.type === 'counter' ? '_total' : '';
    for (const sample of family.samples) {
      writer.write(
        sampleLine(name + (sample.suffix || counterSuffix), sample.labels, sample.value),
        isAscii(sample.labels),
      );
      if (slicer.due()) await slicer.pause();
    }
  }
  if (om) writer.write('# EOF\n', true);
  return writer.toBuffer();
}
