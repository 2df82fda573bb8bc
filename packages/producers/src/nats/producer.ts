/**
 * `natsProducer`: a durable JetStream pull consumer as a pipeline's source.
 * The pieces live in their own files: what a started producer shares
 * (run.ts), one instance (consumer.ts), pulling against demand
 * (fetcher.ts), acks and the failure policy (acknowledger.ts,
 * failures.ts), `working()` heartbeats (heartbeats.ts), reconnects
 * (reconnect.ts). docs/producers/nats.md is the user's guide.
 */
import type {
  Message,
  PartitionBy,
  PrepareContext,
  ProducerContext,
  ProducerModule,
} from '@sluice/core';
import { loadNats } from './nats-client.ts';
import { NatsConsumer } from './consumer.ts';
import {
  resolveNatsOptions,
  type NatsProducerOptions,
  type ResolvedNatsOptions,
} from './options.ts';
import { NatsRun, openClient, type NatsMetadata } from './run.ts';
import type { NatsAckOptions } from './ack-options.ts';
import type { Logger } from '@sluice/core';

/**
 * The NATS producer module: its messages are
 * `Message<unknown, NatsMetadata, NatsAckOptions>` (the data as `decode`
 * says), so `message.configureAck` takes {@link NatsAckOptions}.
 */
export type NatsProducerModule = ProducerModule<unknown, NatsMetadata, NatsAckOptions>;

/**
 * A producer that reads a JetStream stream through a durable pull
 * consumer: pulls sized by the pipeline's demand, acks successes, `nak`s
 * failures with a growing delay and gives them up (dead-letter subject,
 * then `term`) after `maxAttempts`, and sends `working()` for messages
 * the pipeline still holds.
 *
 * @example
 * ```ts
 * createPipeline({
 *   name: 'orders',
 *   producer: { module: natsProducer({ servers: 'nats://127.0.0.1:4222', stream: 'ORDERS', consumer: 'billing', decode: 'json' }) },
 *   processors: { default: { concurrency: 50 } },
 *   handleMessage: async (_p, message) => { await bill(message.data); return message; },
 * });
 * ```
 */
export function natsProducer(input: NatsProducerOptions): NatsProducerModule {
  const options = resolveNatsOptions(input);
  // Without a NatsClient of its own, the producer needs the NATS libraries: say so now.
  if (options.client === undefined) loadNats();
  let run: NatsRun | undefined;

  const module: NatsProducerModule = {
    async prepareForStart(context: PrepareContext) {
      const r = await startRun(options, context.logger);
      run = r;
      return async () => {
        if (run === r) run = undefined;
        await r.close();
      };
    },

    async init(context: ProducerContext) {
      // Without prepareForStart (a module driven by hand), open a run here;
      // the instance that opened it closes it when it terminates.
      let own: NatsRun | undefined;
      if (run === undefined) {
        own = await startRun(options, context.logger);
        run = own;
      }
      return new NatsConsumer(run, options, context, async () => {
        if (own !== undefined && run === own) {
          run = undefined;
          await own.close();
        }
      });
    },
  };
  if (options.partitionBy === 'subject') {
    const bySubject: PartitionBy = (m: Message) => (m.metadata as NatsMetadata).subject;
    return { ...module, partitionBy: bySubject };
  }
  return module;
}

/** Another name for {@link natsProducer}, as Redpanda Connect and Broadway call sources. */
export const natsSource = natsProducer;

async function startRun(options: ResolvedNatsOptions, logger: Logger): Promise<NatsRun> {
  const { client, close } = await openClient(options, logger);
  try {
    const ackWait = await client.consumerAckWait(
      options.createConsumer
        ? {
            ackWaitMs: options.ackWait,
            ...(options.filterSubject !== undefined && { filterSubject: options.filterSubject }),
          }
        : undefined,
    );
    return new NatsRun(options, client, close, ackWait, logger);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
