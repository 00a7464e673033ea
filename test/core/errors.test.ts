import t from 'tap';
import * as errors from '../../core/errors.js';
import * as api from '../../index.js';

t.test('every error code is its class name, registered and exported from the package', async (t) => {
  const classes = Object.entries(errors).filter(
    ([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof errors.CcrError,
  );
  t.ok(classes.length >= 15);
  for (const [name, Class] of classes) {
    const e =
      name === 'RuleViolation' ? new errors.RuleViolation([]) : new (Class as new (m: string) => errors.CcrError)('x');
    t.equal(e.code, name, `${name}.code`);
    t.equal(e.name, name);
    t.ok(e.status >= 400 && e.status < 600, `${name} has an HTTP status`);
    t.equal((errors.errorClasses as Record<string, unknown>)[name], Class, `${name} is in the registry`);
    t.equal((api as Record<string, unknown>)[name], Class, `${name} is exported by the package`);
    t.ok(errors.isCcrError(e));
  }
  t.equal(Object.keys(errors.errorClasses).length, classes.length, 'the registry holds nothing else');
});
