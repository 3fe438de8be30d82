/**
 * `@mmstats/core/fields`: the original mmstats' typed-fields API (`stats.requests.inc()`,
 * `stats.status = 'ok'`), one object whose properties are fields of its own mmstats file.
 */
export type { MmAverage, MmMovingAverage, MovingAverageFieldOptions } from './typed-fields/averages.js';
export type { MmCounter } from './typed-fields/counter-field.js';
export { field } from './typed-fields/field.js';
export type { FieldOptions, FieldSpec } from './typed-fields/field-spec.js';
export type { FieldMap, MmStatsOptions } from './typed-fields/options.js';
export type { BoolFieldOptions, NumberFieldOptions } from './typed-fields/scalar-fields.js';
export type { StaticFieldOptions } from './typed-fields/static-fields.js';
export { createMmStats, type MmStats, type MmStatsBase, type MmStatsFields } from './typed-fields/stats.js';
export type { StaticTextFieldOptions, StringFieldOptions } from './typed-fields/text.js';
export type { MmTimer, MmTimerContext, TimerFieldOptions } from './typed-fields/timer-field.js';
