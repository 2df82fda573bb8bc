/**
 * Test support for the RabbitMQ producer: an in-memory fake of the client
 * seam, and (from ../shared-support.ts) a logger that keeps its lines, a
 * loopback TCP proxy that can drop every socket, and a bounded wait.
 */
import { brokerEnv } from '../../src/testing/env.ts';
import type {
  RabbitMqChannel,
  RabbitMqClient,
  RabbitMqConnection,
  RabbitMqMessage,
} from '../../src/rabbitmq/index.ts';

export { DropProxy, memoryLogger, waitFor, type LogLine } from '../shared-support.ts';

/** The test broker's URL (`AMQP_URL`, else loopback): production code has no default of its own. */
export const AMQP_URL = brokerEnv().amqpUrl;

/** What the fake client connects to: any URL will do. */
export const FAKE_URL = 'amqp://fake';

/** A wire call recorded by {@link FakeChannel}. */
export type WireCall =
  ['ack', number, boolean] | ['nack', number, boolean, boolean] | ['reject', number, boolean];

/** An in-memory channel: records settlements and publishes, delivers what the test pushes. */
export class FakeChannel implements RabbitMqChannel {
  readonly wire: WireCall[] = [];
  readonly published: { queue: string; content: Buffer; options: Record<string, unknown> }[] = [];
  readonly setup: string[] = [];
  prefetchCount: number | undefined;
  closed = false;
  #nextTag = 1;
  #onMessage: ((message: RabbitMqMessage | null) => void) | undefined;
  readonly #listeners = new Map<string, ((error?: Error) => void)[]>();
  /** Makes the next consume fail with this error. */
  failConsume: Error | undefined;
  /** Calls that never settle, as on a frozen broker. */
  readonly hang = new Set<'waitForConfirms' | 'cancel' | 'close'>();

  assertQueue(queue: string, options?: { arguments?: Readonly<Record<string, unknown>> }) {
    this.setup.push(`assertQueue ${queue} ${JSON.stringify(options?.arguments ?? {})}`);
    return Promise.resolve({ queue, messageCount: 0, consumerCount: 0 });
  }
  checkQueue(queue: string) {
    return Promise.resolve({ queue, messageCount: 0, consumerCount: 0 });
  }
  deleteQueue() {
    return Promise.resolve(0);
  }
  purgeQueue() {
    return Promise.resolve(0);
  }
  assertExchange() {
    return Promise.resolve();
  }
  checkExchange() {
    return Promise.resolve();
  }
  deleteExchange() {
    return Promise.resolve();
  }
  bindQueue(queue: string, exchange: string, routingKey: string) {
    this.setup.push(`bindQueue ${queue} ${exchange} ${routingKey}`);
    return Promise.resolve();
  }
  /** Publishes through an exchange, recorded (dead letters). */
  readonly exchangePublished: {
    exchange: string;
    routingKey: string;
    content: Buffer;
    options: Record<string, unknown>;
  }[] = [];
  /** Makes the next publish refused, as for a missing exchange: the channel closes. */
  refusePublish = false;
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Record<string, unknown> = {},
  ) {
    this.#check();
    if (this.refusePublish) {
      this.refusePublish = false;
      this.#refused = true;
      return true;
    }
    this.exchangePublished.push({ exchange, routingKey, content, options });
    return true;
  }
  sendToQueue(queue: string, content: Buffer, options: Record<string, unknown> = {}) {
    this.#check();
    this.published.push({ queue, content, options });
    return true;
  }
  #refused = false;
  waitForConfirms() {
    if (this.hang.has('waitForConfirms')) return new Promise<void>(() => undefined);
    if (this.#refused) {
      this.kill();
      return Promise.reject(new Error("NOT_FOUND - no exchange 'dlx'"));
    }
    return this.closed ? Promise.reject(new Error('closed')) : Promise.resolve();
  }
  get() {
    return Promise.resolve(null);
  }
  consume(queue: string, onMessage: (message: RabbitMqMessage | null) => void) {
    if (this.failConsume) return Promise.reject(this.failConsume);
    this.setup.push(`consume ${queue}`);
    this.#onMessage = onMessage;
    return Promise.resolve({ consumerTag: 'ctag-1' });
  }
  cancel(consumerTag: string) {
    this.setup.push(`cancel ${consumerTag}`);
    if (this.hang.has('cancel')) return new Promise<void>(() => undefined);
    this.#onMessage = undefined;
    return Promise.resolve();
  }
  prefetch(count: number) {
    this.prefetchCount = count;
    this.setup.push(`prefetch ${count}`);
    return Promise.resolve();
  }
  ack(deliveryTag: number, options: { multiple?: boolean } = {}) {
    this.#check();
    this.wire.push(['ack', deliveryTag, options.multiple ?? false]);
  }
  nack(deliveryTag: number, options: { multiple?: boolean; requeue?: boolean } = {}) {
    this.#check();
    this.wire.push(['nack', deliveryTag, options.multiple ?? false, options.requeue ?? true]);
  }
  reject(deliveryTag: number, options: { requeue?: boolean } = {}) {
    this.#check();
    this.wire.push(['reject', deliveryTag, options.requeue ?? true]);
  }
  close() {
    if (this.hang.has('close')) return new Promise<void>(() => undefined);
    this.kill();
    return Promise.resolve();
  }
  on(event: string, listener: (error: Error) => void): void {
    const loose = listener as (error?: Error) => void;
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), loose]);
  }

  /** The broker pushes a message; returns its delivery tag. */
  deliver(message: Partial<RabbitMqMessage> = {}): number {
    const deliveryTag = this.#nextTag++;
    this.#onMessage?.({
      content: Buffer.from(`m${deliveryTag}`),
      deliveryTag,
      redelivered: false,
      exchange: '',
      routingKey: 'q',
      headers: {},
      ...message,
    });
    return deliveryTag;
  }
  /** The broker cancels the consumer (queue deleted). */
  brokerCancel(): void {
    this.#onMessage?.(null);
  }
  /** The channel dies. */
  kill(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.#listeners.get('close') ?? []) l();
  }
  #check(): void {
    if (this.closed) {
      throw Object.assign(new Error('Channel closed'), { code: 'ERR_BROKER_CLOSED' });
    }
  }
}

/** An in-memory connection with one channel per createChannel. */
export class FakeConnection implements RabbitMqConnection {
  readonly channels: FakeChannel[] = [];
  closed = false;
  /** close() never settles, as on a frozen broker. */
  hangClose = false;
  /** destroy() was called: the socket was dropped. */
  destroyed = false;
  readonly #listeners: ((error?: Error) => void)[] = [];
  /** Makes the next createChannel fail with this error. */
  failCreateChannel: Error | undefined;
  createChannel(): Promise<RabbitMqChannel> {
    const failure = this.failCreateChannel;
    this.failCreateChannel = undefined;
    if (failure) return Promise.reject(failure);
    const channel = new FakeChannel();
    this.channels.push(channel);
    return Promise.resolve(channel);
  }
  close(): Promise<void> {
    if (this.hangClose) return new Promise<void>(() => undefined);
    this.drop();
    return Promise.resolve();
  }
  destroy(): void {
    this.destroyed = true;
    this.drop(new Error('socket destroyed'));
  }
  on(event: string, listener: (error: Error) => void): void {
    if (event === 'close') this.#listeners.push(listener as (error?: Error) => void);
  }
  /** The socket is lost: the connection closes with an error, and its channels too. */
  drop(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.channels) c.kill();
    for (const l of this.#listeners) l(error);
  }
}

/** A client whose connections are {@link FakeConnection}s; `failNext` makes connects fail. */
export class FakeClient implements RabbitMqClient {
  readonly connections: FakeConnection[] = [];
  readonly urls: string[] = [];
  failNext: Error[] = [];
  /** Connects that never settle, to test the connect timeout. */
  hang = false;
  connect(url: string): Promise<RabbitMqConnection> {
    this.urls.push(url);
    if (this.hang) return new Promise(() => undefined);
    const failure = this.failNext.shift();
    if (failure) return Promise.reject(failure);
    const connection = new FakeConnection();
    this.connections.push(connection);
    return Promise.resolve(connection);
  }
  /** The consuming channel (the first) of the newest connection. */
  get channel(): FakeChannel {
    const channel = this.connections.at(-1)?.channels[0];
    if (!channel) throw new Error('no channel yet');
    return channel;
  }
}
