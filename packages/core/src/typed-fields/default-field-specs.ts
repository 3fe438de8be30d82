import { currentIdentity, DEFAULT_FIELDS, type DefaultField } from '../storage/default-fields.js';
import type { AnyFieldSpec } from './field-spec.js';
import { staticDoubleField, staticInt64Field, staticUint64Field, staticUintField } from './static-fields.js';
import { staticTextField } from './text.js';

/** The typed field that holds a default field of each struct code. */
function specOf(field: DefaultField, value: number | string): AnyFieldSpec {
  const { label } = field;
  if (typeof value === 'string') return staticTextField({ label, value });
  switch (field.sig) {
    case 'I':
      return staticUintField({ label, value });
    case 'q':
      return staticInt64Field({ label, value });
    case 'Q':
      return staticUint64Field({ label, value });
    default:
      return staticDoubleField({ label, value });
  }
}

/**
 * What mmstats' `MmStats` adds to `BaseMmStats` (docs/file-format.md#default-fields), under the stats
 * object's label prefix as there; the runtime version takes the place of `org.python.version`.
 * `cleanstats`-style tools find the owning process through the label ending in `sys.pid`.
 */
export function defaultFieldSpecs(): AnyFieldSpec[] {
  const id = currentIdentity();
  return PYTHON_ORDER.map((label) => {
    const field = DEFAULT_FIELDS.find((f) => f.label === label)!;
    return specOf(field, field.value(id));
  });
}

/** Python's `MmStats` declares the version before the creation time; stats objects keep its order. */
const PYTHON_ORDER = ['sys.pid', 'sys.tid', 'sys.uid', 'sys.gid', 'org.nodejs.version', 'sys.created'];
