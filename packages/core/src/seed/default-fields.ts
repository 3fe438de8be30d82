import { currentIdentity } from '../mmstats/default-fields.js';
import type { AnyFieldSpec } from './field-spec.js';
import { staticDoubleField, staticInt64Field, staticUint64Field, staticUintField } from './static-fields.js';
import { staticTextField } from './text.js';

/**
 * What mmstats' `MmStats` adds to `BaseMmStats` (mmstats-format.md section 3.6), under the stats
 * object's label prefix as there; the runtime version takes the place of `org.python.version`.
 * `cleanstats`-style tools find the owning process through the label ending in `sys.pid`.
 */
export function defaultFieldSpecs(): AnyFieldSpec[] {
  const id = currentIdentity();
  return [
    staticUintField({ label: 'sys.pid', value: id.pid }),
    staticInt64Field({ label: 'sys.tid', value: id.tid }),
    staticUint64Field({ label: 'sys.uid', value: id.uid }),
    staticUint64Field({ label: 'sys.gid', value: id.gid }),
    staticTextField({ label: 'org.nodejs.version', value: id.version }),
    staticDoubleField({ label: 'sys.created', value: id.created }),
  ];
}
