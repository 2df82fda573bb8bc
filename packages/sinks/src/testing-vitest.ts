/**
 * PostgreSQL-dependent suites for vitest (an optional peer dependency;
 * only this module imports it), for the sinks' tests and the CLI's.
 */
import { describe, it } from 'vitest';
import { checkPostgres } from './testing.ts';

const decision = checkPostgres();

/** A describe block that runs when PostgreSQL answers, skips (or fails, SLUICE_REQUIRE_BROKERS=1) when not. */
export function describeWithPostgres(name: string, fn: () => void): void {
  describe(name, async () => {
    const d = await decision;
    if (d.action === 'run') return fn();
    if (d.action === 'fail') {
      it('reaches PostgreSQL', () => {
        throw new Error(d.message);
      });
    } else console.warn(d.message);
    // No PostgreSQL and SLUICE_REQUIRE_BROKERS unset: the suite is listed as
    // skipped under a name that says what it needs (the warning above says how
    // to reach one); with the variable set, the failing test above runs instead.
    describe.skip('needs PostgreSQL', fn);
  });
}
