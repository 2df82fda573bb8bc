/**
 * One timed consumer for `npm run bench:kafka`, in a process of its own:
 *
 *   node bench/dist/kafka-bench-run.js <side> <topic> <count>
 *
 * reads `count` messages of `topic` from the beginning with a fresh group
 * and prints one JSON line `{ "rate": msgs/s, ... }`; the clock runs from
 * the first message to the last, so joining the group is not counted. The
 * sides:
 *
 *   kafkajs-batch           kafkajs `eachBatch`, no-op (the best kafkajs loop)
 *   platformatic-stream     @platformatic/kafka `consume()` stream, no-op 'data' handler
 *   sluice-kafkajs          Sluice, ordering 'partition', 6 processors, no-op, client 'kafkajs'
 *   sluice-platformatic     the same on client 'platformatic'
 *   kafkajs-each-5ms        kafkajs `eachMessage` awaiting 5 ms, partitionsConsumedConcurrently 6
 *   sluice-kafkajs-5ms      Sluice, ordering 'key', 100 processors, 5 ms handler
 *   sluice-platformatic-5ms the same on client 'platformatic'
 *
 * The 5 ms Sluice sides also report the average number of busy handlers.
 */
import { createPipeline, silentLogger } from '@sluice/core';
import { kafkaProducer } from '@sluice/producers/kafka';
import { Consumer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';

const [side = '', topic = '', countArg = '0'] = process.argv.slice(2);
const count = Number(countArg);
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const groupId = `bench-${side}-${topic}-${Date.now().toString(36)}`;

/** Times `count` messages from the first to the last. */
function clock() {
  let first = 0;
  let seen = 0;
  let done!: (rate: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  return {
    finished,
    tick(): void {
      if (seen === 0) first = performance.now();
      if (++seen === count) done((count - 1) / ((performance.now() - first) / 1000));
    },
  };
}

async function kafkajs(delayMs: number): Promise<Record<string, number>> {
  const kafka = new Kafka({ brokers, clientId: 'bench', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const c = clock();
  await consumer.run(
    delayMs === 0
      ? {
          autoCommit: true,
          eachBatch: ({ batch }) => {
            for (let i = 0; i < batch.messages.length; i++) c.tick();
            return Promise.resolve();
          },
        }
      : {
          partitionsConsumedConcurrently: 6,
          eachMessage: async () => {
            await new Promise((r) => setTimeout(r, delayMs));
            c.tick();
          },
        },
  );
  const rate = await c.finished;
  await consumer.disconnect();
  return { rate };
}

async function platformaticStream(): Promise<Record<string, number>> {
  const consumer = new Consumer({
    clientId: 'bench',
    bootstrapBrokers: brokers,
    groupId,
    maxWaitTime: 100,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: 1000 });
  const c = clock();
  stream.on('data', () => c.tick());
  const rate = await c.finished;
  await stream.close();
  await consumer.close(); // the stream is closed: no force needed
  return { rate };
}

async function sluice(
  client: 'kafkajs' | 'platformatic',
  delayMs: number,
): Promise<Record<string, number>> {
  const c = clock();
  const keyed = delayMs > 0;
  let busy = 0;
  let busySum = 0;
  let busySamples = 0;
  const sampler = setInterval(() => {
    busySum += busy;
    busySamples++;
  }, 5);
  const pipeline = createPipeline({
    name: 'bench',
    logger: silentLogger,
    producer: {
      module: kafkaProducer({
        client,
        brokers,
        groupId,
        topics: [topic],
        fromBeginning: true,
        ordering: keyed ? 'key' : 'partition',
        fetch: { maxWaitTimeInMs: 100 },
      }),
    },
    processors: { default: { concurrency: keyed ? 100 : 6 } },
    async handleMessage(_p, m) {
      if (delayMs > 0) {
        busy++;
        await new Promise((r) => setTimeout(r, delayMs));
        busy--;
      }
      c.tick();
      return m;
    },
  });
  await pipeline.start();
  const rate = await c.finished;
  clearInterval(sampler);
  await pipeline.stop();
  return keyed ? { rate, busy: busySamples === 0 ? 0 : busySum / busySamples } : { rate };
}

const sides: Record<string, () => Promise<Record<string, number>>> = {
  'kafkajs-batch': () => kafkajs(0),
  'platformatic-stream': platformaticStream,
  'sluice-kafkajs': () => sluice('kafkajs', 0),
  'sluice-platformatic': () => sluice('platformatic', 0),
  'kafkajs-each-5ms': () => kafkajs(5),
  'sluice-kafkajs-5ms': () => sluice('kafkajs', 5),
  'sluice-platformatic-5ms': () => sluice('platformatic', 5),
};

const run = sides[side];
if (run === undefined || topic === '' || !(count > 0)) {
  console.error(`usage: kafka-bench-run.js <${Object.keys(sides).join('|')}> <topic> <count>`);
  process.exit(2);
}
const cpuBefore = process.cpuUsage();
const result = await run();
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ side, ...result, cpuUsPerMsg: (cpu.user + cpu.system) / count }));
process.exit(0);
