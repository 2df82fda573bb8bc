/**
 * `createPipeline`: Broadway's model on the stage core.
 *
 * ```
 *   producers (concurrency) ──▶ processors (concurrency) ──▶ batchers ──▶ batch processors
 *   your ProducerModule          handleMessage                 batchSize     handleBatch
 *                                  └── ack (no batchers)        batchTimeout    └── ack
 * ```
 *
 * `start()` builds the stages; `stop()` drains them in order (producers
 * stop fetching, in-flight messages finish, batchers flush, everything is
 * acked) within `shutdownTimeout`. docs/architecture.md draws the whole
 * thing, including the shutdown order.
 */
import { SluiceError } from '../errors.ts';
import { show } from '../options/parse.ts';
import { defaultLogger } from '../logger.ts';
import type { Stage } from '../stage/stage.ts';
import { Batcher } from './batcher.ts';
import {
  resolveDefinition,
  type AnyMessage,
  type PipelineDefinition,
  type ResolvedDefinition,
} from './definition.ts';
import type { PipelineMessage } from './typing.ts';
import { Message } from './message.ts';
import type { ProducerModule, Transformer } from './producer-module.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';
import { ProcessorPool, processorDispatchers, resizeStage, type ResizeResult } from './resize.ts';
import { startProducer, type ProducerHandle } from './producer-stage.ts';
import { startRateLimit, updateRateLimit, type RunningRateLimit } from './rate-limit-clock.ts';
import type { RateLimit, RateLimitUpdate } from './rate-limiter.ts';
import { BacklogBoard } from './backlog.ts';
import { NO_COUNTS, PipelineRuntime } from './runtime.ts';
import { channels } from './telemetry.ts';
import { PauseControl } from './control.ts';
import { assessHealth, type PipelineHealth } from './health.ts';
import { topologyOf } from './topology.ts';
import type { Pipeline, PipelineState, PipelineStats, StopReport, Topology } from './types.ts';

export type { Pipeline, PipelineState, StopReport, Topology } from './types.ts';

/**
 * Validates `definition` and returns a pipeline, not yet started. Throws an
 * InvalidOptionsError listing every problem, each with its path and value.
 *
 * @example
 * ```ts
 * const pipeline = createPipeline({
 *   name: 'orders',
 *   producer: { module: sqsProducer({ queueUrl }), concurrency: 1 },
 *   processors: { default: { concurrency: 8 } },
 *   batchers: { s3: { batchSize: 100, batchTimeout: 1000 } },
 *   async handleMessage(_processor, message) {
 *     return message.putBatcher('s3');
 *   },
 *   async handleBatch(_batcher, messages) {
 *     await upload(messages.map((m) => m.data));
 *     return messages;
 *   },
 * });
 * await pipeline.start();
 * ```
 */
export function createPipeline<
  C = unknown,
  P extends ProducerModule<unknown, object, object> = ProducerModule,
  T extends Transformer<unknown, object, object> | undefined = Transformer | undefined,
  S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined,
  B extends AnyMessage = PipelineMessage<P, T, S>,
>(definition: PipelineDefinition<C, P, T, S, B>): Pipeline<C> {
  return new PipelineImpl(resolveDefinition(definition as PipelineDefinition<C>));
}

/**
 * Returns `definition` as it is, typed: the handlers' messages get the
 * producer's (or transformer's, or schema's) types, as in
 * {@link createPipeline}. Use it to define a pipeline in one module and
 * create it elsewhere, e.g. in production and in its tests.
 *
 * @example
 * ```ts
 * export const orders = definePipeline({
 *   name: 'orders',
 *   producer: { module: sqsProducer({ queueUrl }) },
 *   processors: { default: {} },
 *   handleMessage: (_p, message) => message, // message.data: string
 * });
 * const pipeline = createPipeline(orders);
 * ```
 */
export function definePipeline<
  C = unknown,
  P extends ProducerModule<unknown, object, object> = ProducerModule,
  T extends Transformer<unknown, object, object> | undefined = Transformer | undefined,
  S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined,
  B extends AnyMessage = PipelineMessage<P, T, S>,
>(definition: PipelineDefinition<C, P, T, S, B>): PipelineDefinition<C, P, T, S, B> {
  return definition;
}

class PipelineImpl<C> implements Pipeline<C> {
  readonly definition: ResolvedDefinition<C>;
  readonly name: string;
  #state: PipelineState = 'created';
  #runtime: PipelineRuntime<C> | undefined;
  #producers: ProducerHandle[] = [];
  #processors: ProcessorPool | undefined;
  #batchers: Batcher[] = [];
  #rateLimit: RunningRateLimit | undefined;
  #cleanup: (() => void | PromiseLike<void>) | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<StopReport> | undefined;
  #nextPush = 0;
  readonly #backlog: BacklogBoard;
  readonly #pause: PauseControl;

  constructor(definition: ResolvedDefinition<C>) {
    this.definition = definition;
    this.name = definition.name;
    this.#backlog = new BacklogBoard(definition.name);
    this.#pause = new PauseControl(definition.name);
  }

  get state(): PipelineState {
    return this.#state;
  }

  start(): Promise<void> {
    if (this.#state === 'starting' || this.#state === 'running') {
      return this.#starting as Promise<void>;
    }
    if (this.#state !== 'created') {
      return Promise.reject(
        new SluiceError(
          'ERR_PIPELINE_STATE',
          `pipeline ${this.name} is ${this.#state}; create a new one to start again`,
        ),
      );
    }
    this.#state = 'starting';
    this.#starting = this.#start().then(
      () => {
        if (this.#state === 'starting') this.#state = 'running';
      },
      async (error: unknown) => {
        await this.#teardown();
        this.#state = 'stopped';
        throw error;
      },
    );
    return this.#starting;
  }

  async #start(): Promise<void> {
    const d = this.definition;
    const logger = (d.logger ?? defaultLogger()).child({ pipeline: d.name });
    const rt = new PipelineRuntime<C>(d, logger);
    this.#runtime = rt;

    const cleanup = await d.producer.module.prepareForStart?.({
      pipeline: d.name,
      concurrency: d.producer.concurrency,
      logger: logger.child({ stage: 'producer' }),
      definition: d,
      backlog: this.#backlog,
    });
    if (typeof cleanup === 'function') this.#cleanup = cleanup;

    if (d.producer.rateLimiting !== undefined) {
      this.#rateLimit = startRateLimit(d.producer.rateLimiting, d.name, () => {
        for (const p of this.#producers) p.rateReset();
      });
    }

    // Producers first; every later stage subscribes to the layer before it.
    const processor = d.processor;
    const partitionBy = processor.partitionBy;
    const dispatchers = processorDispatchers(partitionBy, processor.concurrency, logger);
    for (let i = 0; i < d.producer.concurrency; i++) {
      const dispatcher = dispatchers.create();
      this.#producers.push(startProducer(rt, i, dispatcher, this.#rateLimit?.limiter));
    }
    const producerStages = this.#producers.map((p) => p.stage);
    this.#batchers = d.batchers.map((b) => new Batcher(rt as PipelineRuntime, b));
    const batchers = new Map(this.#batchers.map((b) => [b.key, b]));
    // A stage that crashes is a bug (user code is contained per message):
    // log it, and stop the pipeline rather than run on half a topology.
    const watch = (stage: Stage<never, unknown>): void => {
      stage.join().catch((error: unknown) => {
        if (this.#state !== 'running') return;
        logger.error({ err: error, stage: stage.name }, `stage ${stage.name} crashed; stopping`);
        void this.stop();
      });
    };
    for (const stage of producerStages) watch(stage);
    const pool = new ProcessorPool(rt, producerStages, dispatchers.repartition, batchers, watch);
    this.#processors = pool;
    void pool.resize(processor.concurrency);

    await Promise.all(this.#producers.map((p) => p.ready));
    rt.stalls.start();
    if (channels.topologyInit.hasSubscribers) {
      channels.topologyInit.publish({ pipeline: d.name, topology: this.topology() });
    }
  }

  stop(): Promise<StopReport> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<StopReport> {
    if (this.#state === 'created') {
      this.#state = 'stopped';
      return { unacked: 0, timedOut: false };
    }
    await this.#starting?.catch(() => undefined);
    const rt = this.#runtime;
    if (rt === undefined || this.#state === 'stopped') return { unacked: 0, timedOut: false };
    this.#state = 'stopping';
    rt.draining = true;
    // What waited during a pause is handled and acked before the drain ends.
    this.#pause.resume(this.#producers, 'running');
    const started = performance.now();
    let timedOut = false;
    let expire!: () => void;
    const deadline = new Promise<void>((resolve) => {
      expire = resolve;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      expire();
    }, this.definition.shutdownTimeout);

    const drained = (async () => {
      await Promise.all(this.#producers.map((p) => p.drain()));
      await this.#processors?.join();
      // Every processor has stopped: batchers flush and run what they hold.
      await Promise.all(this.#batchers.map((b) => b.finish()));
      await rt.settleAcks();
    })();
    await Promise.race([drained, deadline]);
    const drainedInTime = !timedOut;

    if (timedOut) {
      const unacked = rt.stats.inFlight;
      rt.logger.error(
        { unacked, shutdownTimeout: this.definition.shutdownTimeout },
        `pipeline ${this.name} did not drain within ${this.definition.shutdownTimeout} ms; stopping with ${unacked} messages un-acked (the source will redeliver them)`,
      );
      this.#deadlinePassed(rt);
    }
    // Whatever the teardown does (an ack, a producer's terminate or the
    // module's cleanup that never returns), stop() settles by the deadline;
    // what is still running goes on in the background, logged if it fails.
    const teardown = this.#teardown().catch((error: unknown) => {
      rt.logger.error({ err: error }, `pipeline ${this.name}: teardown failed`);
    });
    const tornDown = await Promise.race([teardown.then(() => true), deadline.then(() => false)]);
    clearTimeout(timer);
    if (!tornDown && drainedInTime) {
      timedOut = true;
      rt.logger.error(
        { shutdownTimeout: this.definition.shutdownTimeout },
        `pipeline ${this.name}: acks or producer shutdown still running when shutdownTimeout passed; reporting it stopped`,
      );
      this.#deadlinePassed(rt);
    }
    this.#state = 'stopped';
    let unconfirmed = 0;
    for (const p of this.#producers) unconfirmed += p.unconfirmed();
    const report: StopReport = { unacked: rt.unconfirmed + unconfirmed, timedOut };
    if (channels.pipelineStop.hasSubscribers) {
      channels.pipelineStop.publish({
        pipeline: this.name,
        ...report,
        durationMs: performance.now() - started,
      });
    }
    return report;
  }

  /** The handlers' signal aborts: they should give up, the deadline has passed. */
  #deadlinePassed(rt: PipelineRuntime): void {
    rt.shutdown.abort(
      new SluiceError('ERR_PIPELINE_STATE', `pipeline ${this.name}: shutdownTimeout passed`),
    );
  }

  /**
   * Stops whatever still runs, at once, then closes the producer instances
   * (their `terminate`) and runs the module's cleanup: last, so acks made
   * while draining could still use their connections.
   */
  async #teardown(): Promise<void> {
    this.#rateLimit?.clock.stop();
    this.#runtime?.stalls.stop();
    for (const b of this.#batchers) b.close();
    await Promise.all((this.#processors?.all ?? []).map((s) => s.kill('shutdown')));
    await Promise.all(this.#producers.map((p) => p.stage.kill('shutdown')));
    await this.#runtime?.settleAcks();
    await Promise.all(this.#producers.map((p) => p.close('shutdown')));
    try {
      await this.#cleanup?.();
    } catch (error) {
      this.#runtime?.logger.error({ err: error }, 'producer module cleanup failed');
    }
  }

  topology(): Topology {
    const live = { processors: this.#processors?.concurrency, batchers: this.#batchers };
    return topologyOf(this.definition, live);
  }

  resize(name: string, concurrency: number): ResizeResult {
    const [rt, processors, batchers] = [this.#runtime, this.#processors, this.#batchers];
    const producers = this.#producers;
    return resizeStage(
      { pipeline: this.name, state: this.#state, rt, processors, batchers, producers },
      name,
      concurrency,
    );
  }

  getRateLimiting(): RateLimit | undefined {
    return this.#rateLimit?.limiter.limit ?? this.definition.producer.rateLimiting;
  }

  updateRateLimiting(update: RateLimitUpdate): void {
    const defined = this.definition.producer.rateLimiting;
    updateRateLimit(this.#rateLimit, defined, this.name, update);
  }

  pushMessages(messages: readonly Message[]): void {
    if (this.#state !== 'running') {
      throw new SluiceError(
        'ERR_PIPELINE_STATE',
        `pushMessages: pipeline ${this.name} is ${this.#state}, not running`,
      );
    }
    messages.forEach((m, i) => {
      if (!(m instanceof Message)) {
        throw new SluiceError(
          'ERR_INVALID_OPTIONS',
          `pushMessages: messages[${i}]: expected a Message, got ${show(m)}`,
        );
      }
    });
    const producer = this.#producers[this.#nextPush++ % this.#producers.length] as ProducerHandle;
    producer.push(messages);
  }

  health(): PipelineHealth {
    const rt = this.#runtime;
    return assessHealth({
      name: this.name,
      state: this.#state,
      draining: rt?.draining ?? false,
      paused: this.#pause.paused,
      connected: this.#producers.map((p) => p.connected()),
      stuck: this.#state === 'running' && rt !== undefined ? rt.stalls.stuck() : [],
    });
  }

  pause(): boolean {
    return this.#pause.pause(this.#producers, this.#state);
  }

  resume(): boolean {
    return this.#pause.resume(this.#producers, this.#state);
  }

  get paused(): boolean {
    return this.#pause.paused;
  }

  stats(): PipelineStats {
    return { ...(this.#runtime?.stats ?? NO_COUNTS), backlog: this.#backlog.read() };
  }
}
