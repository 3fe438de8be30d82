import { averageField, movingAverageField } from './averages.js';
import { counterField } from './counter-field.js';
import {
  boolField,
  byteField,
  doubleField,
  floatField,
  intField,
  shortField,
  uint64Field,
  uintField,
  ushortField,
} from './scalar-fields.js';
import {
  staticDoubleField,
  staticFloatField,
  staticInt64Field,
  staticUint64Field,
  staticUintField,
} from './static-fields.js';
import { staticTextField, stringField } from './text.js';
import { timerField } from './timer-field.js';

/**
 * The field kinds of mmstats (docs/file-format.md#value-types), one factory each:
 * `field.uint()` is `UIntField()`, `field.staticText({ value })` is `StaticTextField(value=…)`.
 * One export for all of them keeps the package's top level small.
 */
export const field = Object.freeze({
  counter: counterField,
  uint64: uint64Field,
  uint: uintField,
  int: intField,
  short: shortField,
  ushort: ushortField,
  float: floatField,
  double: doubleField,
  byte: byteField,
  bool: boolField,
  string: stringField,
  average: averageField,
  movingAverage: movingAverageField,
  timer: timerField,
  staticUint: staticUintField,
  staticInt64: staticInt64Field,
  staticUint64: staticUint64Field,
  staticFloat: staticFloatField,
  staticDouble: staticDoubleField,
  staticText: staticTextField,
});
