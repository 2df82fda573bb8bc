/**
 * Broker-dependent suites for vitest (an optional peer dependency of
 * @sluice/testing; only this module imports it).
 */
import { BrokerError } from '@sluice/producers';
import { describe, it } from 'vitest';
import {
  brokerTarget,
  checkBroker,
  type BrokerKind,
  type BrokerTestDecision,
  type CheckBrokerOptions,
} from './availability.ts';

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
  describe(name, async () => {
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
  });
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
