/**
 * Broker-dependent suites for vitest (an optional peer dependency of
 * @sluice/testing; only this module imports it).
 */
import { BrokerError } from '../index.ts';
import { describe, it } from 'vitest';
import {
  brokerTarget,
  checkBroker,
  type BrokerKind,
  type BrokerTestDecision,
  type CheckBrokerOptions,
} from './availability.ts';
import { checkBrokerOwnership } from './ownership.ts';

const decisions = new Map<string, Promise<BrokerTestDecision>>();

/**
 * A `describe` block that needs the broker of `kind`. When the broker
 * answers, `fn` registers its tests as usual. When it does not, the block's
 * tests are skipped and one line is printed, e.g.
 *
 * ```text
 * [sluice] skipping Kafka tests: no broker at 127.0.0.1:9092 — start one with `npm run brokers:up` or `docker compose up -d kafka`
 * ```
 *
 * With `SLUICE_REQUIRE_BROKERS=1` the block fails instead, with that line as
 * the error. The broker is probed once per test file and kind.
 *
 * @example
 * ```ts
 * describeWithBroker('sqs', 'orders pipeline', () => {
 *   let queue: SqsTestQueue;
 *   beforeEach(async () => { queue = await createTestQueue(); });
 *   afterEach(() => queue.delete());
 *   it('acknowledges every message', async () => { … });
 * });
 * ```
 */
export function describeWithBroker(
  kind: BrokerKind,
  name: string,
  fn: () => void,
  options: CheckBrokerOptions = {},
): void {
  describe(name, () => register(kind, fn, options));
}

/**
 * A `describe` block whose tests stop and restart the broker of `kind`
 * through `<root>/scripts/brokers.sh` (to test an outage). Before anything
 * else it checks that the running broker was started by that checkout's
 * `brokers.sh` (its process carries the checkout's marker): a broker started
 * by another checkout, Docker or the system is in use elsewhere and must not
 * be stopped, and `brokers.sh down` would not stop it anyway. Then the block
 * is skipped at once with one line saying who owns the broker, e.g.
 *
 * ```text
 * [sluice] skipping tests that stop Kafka: the running Kafka was started by another checkout's scripts/brokers.sh (pid 4242, started by /work/other), and other runs may be using it — …
 * ```
 *
 * With `SLUICE_REQUIRE_BROKERS=1` it fails with that line instead. A broker
 * of its own, it goes on as {@link describeWithBroker}.
 */
export function describeStoppingBroker(
  kind: 'kafka' | 'sqs',
  name: string,
  fn: () => void,
  options: CheckBrokerOptions & { readonly root: string },
): void {
  describe(name, async () => {
    const owned = await checkBrokerOwnership(kind === 'kafka' ? 'kafka' : 'elasticmq', options);
    if (owned.action === 'run') {
      await register(kind, fn, options);
      return;
    }
    const { label } = brokerTarget(kind, options.env);
    if (owned.action === 'fail') {
      it(`owns the ${label} broker it stops`, () => {
        throw new Error(owned.message);
      });
    } else {
      console.warn(owned.message);
    }
    // The suite would stop a broker it does not own: listed as skipped under
    // a name that says why (with SLUICE_REQUIRE_BROKERS the test above fails).
    describe.skip(`needs a ${label} broker started by this checkout's scripts/brokers.sh`, fn);
  });
}

/** Registers `fn`'s tests if the broker answers; else a skipped block, or a failing test. */
async function register(kind: BrokerKind, fn: () => void, options: CheckBrokerOptions) {
  const decision = await decide(kind, options);
  if (decision.action === 'run') {
    fn();
    return;
  }
  const { label } = brokerTarget(kind, options.env);
  if (decision.action === 'fail') {
    it(`reaches a ${label} broker`, () => {
      throw new BrokerError('ERR_BROKER_UNREACHABLE', kind, decision.message);
    });
  }
  // No broker and SLUICE_REQUIRE_BROKERS unset: the suite shows up as
  // skipped under a name that says what it needs, and decide() has already
  // printed how to start that broker. With the variable set, the failing
  // test above runs instead and the suite is still listed, skipped.
  describe.skip(`needs a ${label} broker`, fn);
}

function decide(kind: BrokerKind, options: CheckBrokerOptions): Promise<BrokerTestDecision> {
  const key = `${kind} ${brokerTarget(kind, options.env).address}`;
  let decision = decisions.get(key);
  if (decision === undefined) {
    decision = checkBroker(kind, options).then((d) => {
      if (d.action === 'skip') console.warn(d.message);
      return d;
    });
    decisions.set(key, decision);
  }
  return decision;
}
