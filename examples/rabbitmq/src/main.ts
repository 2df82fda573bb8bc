/**
 * Orders from RabbitMQ, with a dead-letter queue and delayed retries.
 *
 * Sets up `orders` (dead-lettering to `orders.dlx` → `orders.dlq`), publishes
 * 20 orders, and runs a pipeline on it:
 * - an order without an amount is invalid: rejected, so it lands in orders.dlq;
 * - an order whose warehouse call fails is retried after 200 ms, then 400 ms,
 *   and dead-lettered after its third failure;
 * - the rest are acked.
 * Then it prints what reached the dead-letter queue and cleans up.
 *
 *   AMQP_URL  the broker (default amqp://guest:guest@127.0.0.1:5672)
 */
import { createPipeline, stopOnSignals, type Message } from '@sluice/core';
import { AmqplibClient, rabbitmqProducer } from '@sluice/producers/rabbitmq';

const url = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const queue = 'sluice-example-orders';
const dlx = `${queue}.dlx`;
const dlq = `${queue}.dlq`;

interface Order {
  readonly id: number;
  readonly amount?: number;
  readonly flaky?: boolean;
}

const rabbit = new AmqplibClient();
const admin = await rabbit.connect(url, { connectionName: 'sluice-example-admin' });
const setup = await admin.createChannel({ confirm: true });
await setup.assertExchange(dlx, 'fanout');
await setup.assertQueue(dlq);
await setup.bindQueue(dlq, dlx, '');
await setup.assertQueue(queue, { arguments: { 'x-dead-letter-exchange': dlx } });
for (let id = 0; id < 20; id++) {
  const order: Order = { id, ...(id % 7 !== 3 && { amount: id * 10 }), flaky: id % 5 === 4 };
  setup.sendToQueue(queue, Buffer.from(JSON.stringify(order)), {
    messageId: `order-${id}`,
    persistent: true,
    contentType: 'application/json',
  });
}
await setup.waitForConfirms();

let handled = 0;
const pipeline = createPipeline({
  name: 'orders',
  producer: {
    module: rabbitmqProducer({
      url,
      queue,
      prefetch: 50,
      metadata: ['contentType'],
      onFailure: 'retry',
      retry: { maxAttempts: 3, delay: { initial: 200, max: 2000 } },
      // The producer publishes each dead letter to the exchange itself, with
      // why it failed and how often it was tried (sluice-* headers).
      deadLetter: { exchange: dlx },
    }),
  },
  processors: { default: { concurrency: 10 } },
  handleMessage(_processor, message: Message) {
    handled++;
    const order = JSON.parse((message.data as Buffer).toString()) as Order;
    if (order.amount === undefined) {
      // Retrying cannot fix it: dead-letter at once.
      return message.configureAck({ onFailure: 'reject' }).fail('no amount');
    }
    // A transient failure: `onFailure: 'retry'` applies (a throw would too, and be logged).
    if (order.flaky) return message.fail(`warehouse timeout for order ${order.id}`);
    return message.putData(order);
  },
});

await pipeline.start();
stopOnSignals(pipeline);

// 20 orders, plus two retries for each of the 4 flaky ones.
while (handled < 28) await new Promise((r) => setTimeout(r, 100));
await pipeline.stop();

const dead: string[] = [];
for (;;) {
  const message = await setup.get(dlq);
  if (message === null) break;
  const headers = message.headers;
  dead.push(
    `${message.messageId ?? '?'}: ${String(headers['sluice-failure-reason'])} ` +
      `(attempts ${String(headers['sluice-attempts'])}, from ${String(headers['sluice-source-queue'])})`,
  );
  setup.ack(message.deliveryTag);
}
console.log(`handled ${handled} deliveries; dead-lettered:\n  ${dead.join('\n  ')}`);

await setup.deleteQueue(queue);
await setup.deleteQueue(`${queue}.retry`);
await setup.deleteQueue(dlq);
await setup.deleteExchange(dlx);
await admin.close();
