/**
 * Kafka's backlog: the lag each member publishes after a fetch
 * (`sluice:kafka:lag`, the partition's high watermark minus the next
 * offset to fetch), reported per partition as `waiting`. It is listened to
 * only while someone wants backlog, checked every few seconds, so nobody
 * listening leaves the lag channel without subscribers.
 */
import diagnostics from 'node:diagnostics_channel';
import type { PrepareContext } from '@sluice/core';
import { BACKLOG_INTERVAL_MS } from '../internal/backlog-poller.ts';
import { kafkaChannels, type KafkaLagEvent } from './telemetry.ts';

/** Forwards this pipeline's lag events to `context.backlog`; returns the stop function. */
export function forwardKafkaLag(
  context: PrepareContext,
  intervalMs = BACKLOG_INTERVAL_MS,
): () => void {
  const reporter = context.backlog;
  if (reporter === undefined) return () => undefined;
  const onLag = (payload: unknown): void => {
    const e = payload as KafkaLagEvent;
    if (e.pipeline !== context.pipeline) return;
    reporter.report({
      broker: 'kafka',
      destination: e.topic,
      partition: e.partition,
      waiting: e.lag,
      at: Date.now(),
    });
  };
  let listening = false;
  const check = (): void => {
    const wanted = reporter.wanted();
    if (wanted === listening) return;
    listening = wanted;
    if (wanted) diagnostics.subscribe(kafkaChannels.lag, onLag);
    else diagnostics.unsubscribe(kafkaChannels.lag, onLag);
  };
  const timer = setInterval(check, intervalMs);
  timer.unref();
  check();
  return () => {
    clearInterval(timer);
    if (listening) diagnostics.unsubscribe(kafkaChannels.lag, onLag);
    listening = false;
  };
}
