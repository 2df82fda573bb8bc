/**
 * `node bench/dist/pipeline/diagnose.js e100|g`: where the time goes in
 * E100 and G, measured rather than guessed (docs/performance.md, "What
 * remains"). One process, an untimed warm-up, then one instrumented run.
 *
 * e100  100 processors whose handler awaits a 1 ms timer. Reports how much
 *       of the run each processor spent inside its handler (if processors
 *       waited for demand, this would be well below 1), the handler's mean
 *       duration per 50 ms window (the timer's 1 ms plus the event loop's
 *       lag), and the CPU of the main thread against all threads
 *       (/proc/self/task; the rest is mostly V8's concurrent compiler).
 * g     a producer paced at 50,000 msgs/s into 2 processors. Per burst of
 *       the pacer: emission → handleEvents (the `sluice:processor:start`
 *       channel) → the burst's first handler call, each handler → its ack,
 *       and, for every message over 1 ms, whether the pacer's own next tick
 *       was late too (then the whole process had stalled: a GC or a
 *       neighbour on the CPU, not a queue inside Sluice).
 *
 * BENCH_DIAG_N sets the messages of the run (default 100,000 for both).
 */
import { subscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import {
  createPipeline,
  Message,
  pipelineChannels,
  type Acknowledger,
  type ProducerModule,
} from '@sluice/core';
import { pace } from './shape.ts';

const N = Number(process.env['BENCH_DIAG_N'] ?? 100_000);

/** CPU ms of this process's main thread and of all its threads, from /proc. */
function threadCpuMs(): { main: number; all: number } {
  const ticks = (path: string): number => {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  let all = 0;
  for (const task of readdirSync('/proc/self/task')) all += ticks(`/proc/self/task/${task}/stat`);
  return { main: ticks(`/proc/self/task/${process.pid}/stat`) * 10, all: all * 10 };
}

/** p50/p99/p99.9 of `values` in µs (values in ms). */
function quantiles(values: number[]): string {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): string =>
    ((sorted[Math.floor(q * (sorted.length - 1))] ?? 0) * 1000).toFixed(0);
  return `${at(0.5)} / ${at(0.99)} / ${at(0.999)} µs`;
}

/** Counts acks and resolves the run once all `n` are in. */
class Counter implements Acknowledger {
  acked = 0;
  readonly #n: number;
  readonly #done: () => void;
  readonly #onAck: ((messages: Message[], now: number) => void) | undefined;
  constructor(n: number, done: () => void, onAck?: (messages: Message[], now: number) => void) {
    this.#n = n;
    this.#done = done;
    this.#onAck = onAck;
  }
  ack(_ref: unknown, successful: Message[], failed: Message[]): void {
    this.#onAck?.(successful, performance.now());
    this.acked += successful.length + failed.length;
    if (this.acked === this.#n) this.#done();
  }
}

/** `n` messages, as fast as they are asked for. */
class Source {
  #next = 0;
  readonly #n: number;
  readonly #acknowledger: Acknowledger;
  constructor(n: number, acknowledger: Acknowledger) {
    this.#n = n;
    this.#acknowledger = acknowledger;
  }
  handleDemand(demand: number): Message[] {
    const count = Math.min(demand, this.#n - this.#next);
    const out = new Array<Message>(count);
    for (let i = 0; i < count; i++) {
      const id = this.#next++;
      out[i] = new Message({ data: { id }, id, acknowledger: this.#acknowledger });
    }
    return out;
  }
}

interface E100State {
  inHandlerMs: number;
  calls: number;
  windows: [number, number][];
  origin: number;
}

const e100State: E100State = { inHandlerMs: 0, calls: 0, windows: [], origin: 0 };
const sleepHandler = async (_p: string, m: Message): Promise<Message> => {
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 1));
  const ended = performance.now();
  const s = e100State;
  s.inHandlerMs += ended - began;
  s.calls++;
  const w = (s.windows[Math.floor((ended - s.origin) / 50)] ??= [0, 0]);
  w[0] += ended - began;
  w[1]++;
  return m;
};

async function e100Run(n: number, report: boolean): Promise<void> {
  Object.assign(e100State, { inHandlerMs: 0, calls: 0, windows: [], origin: performance.now() });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const acknowledger = new Counter(n, done);
  const module: ProducerModule = { init: () => new Source(n, acknowledger) };
  const cpu = threadCpuMs();
  const pipeline = createPipeline({
    name: 'diagnose-e100',
    producer: { module },
    processors: { default: { concurrency: 100 } },
    handleMessage: sleepHandler,
  });
  await pipeline.start();
  const started = performance.now();
  await finished;
  const ran = performance.now() - started;
  await pipeline.stop();
  if (!report) return;
  const used = threadCpuMs();
  const s = e100State;
  console.log(`E100, ${n.toLocaleString()} messages: ${((n / ran) * 1000).toFixed(0)} msgs/s`);
  console.log(
    `  time inside handleMessage, per processor: ${(s.inHandlerMs / 100 / ran).toFixed(3)} of the run`,
  );
  console.log(`  handler mean: ${(s.inHandlerMs / s.calls).toFixed(3)} ms (a 1 ms timer)`);
  console.log(
    `  per 50 ms window (mean ms / calls): ${s.windows.map((w) => `${(w[0] / w[1]).toFixed(2)}/${w[1]}`).join(' ')}`,
  );
  console.log(
    `  CPU per message: main thread ${(((used.main - cpu.main) / n) * 1000).toFixed(2)} µs, all threads ${(((used.all - cpu.all) / n) * 1000).toFixed(2)} µs`,
  );
}

interface GRun {
  readonly emitted: Float64Array;
  readonly reached: Float64Array;
  readonly handled: Float64Array;
  readonly acked: Float64Array;
}

let gRun: GRun | undefined;
const stampHandler = async (_p: string, m: Message): Promise<Message> => {
  if (gRun !== undefined) gRun.handled[m.id as number] = performance.now();
  return m;
};
subscribe(pipelineChannels.processorStart, (event) => {
  const run = gRun;
  if (run === undefined) return;
  const now = performance.now();
  for (const m of (event as { messages: Message[] }).messages) run.reached[m.id as number] = now;
});

async function gRunOnce(n: number, report: boolean): Promise<void> {
  const run: GRun = {
    emitted: new Float64Array(n),
    reached: new Float64Array(n),
    handled: new Float64Array(n),
    acked: new Float64Array(n),
  };
  gRun = run;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const acknowledger = new Counter(n, done, (messages, now) => {
    for (const m of messages) run.acked[m.id as number] = now;
  });
  let emit: ((messages: readonly unknown[]) => void) | undefined;
  let stop = (): void => undefined;
  const pipeline = createPipeline({
    name: 'diagnose-g',
    producer: {
      module: {
        init: (context) => {
          emit = (messages) => context.emit(messages);
          return { handleDemand: () => undefined, terminate: () => stop() };
        },
      },
    },
    processors: { default: { concurrency: 2 } },
    handleMessage: stampHandler,
  });
  await pipeline.start();
  stop = pace(n, 50_000, (from, count) => {
    const out = new Array<Message>(count);
    for (let i = 0; i < count; i++) {
      out[i] = new Message({ data: { id: from + i }, id: from + i, acknowledger });
    }
    run.emitted.fill(performance.now(), from, from + count);
    emit?.(out);
  });
  await finished;
  await pipeline.stop();
  gRun = undefined;
  if (!report) return;
  const toReach: number[] = [];
  const toFirst: number[] = [];
  const toAck: number[] = [];
  const total: number[] = [];
  let slow = 0;
  let slowInStall = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && run.emitted[j + 1] === run.emitted[i]) j++;
    const at = run.emitted[i] as number;
    toReach.push((run.reached[i] as number) - at);
    toFirst.push((run.handled[i] as number) - (run.reached[i] as number));
    // The pacer ticks every millisecond: a next burst more than 1.5 ms
    // later means the whole process did not run in between.
    const next = j + 1 < n ? (run.emitted[j + 1] as number) : Infinity;
    for (let k = i; k <= j; k++) {
      const latency = (run.acked[k] as number) - at;
      total.push(latency);
      toAck.push((run.acked[k] as number) - (run.handled[k] as number));
      if (latency > 1) {
        slow++;
        if (next - at > 1.5) slowInStall++;
      }
    }
    i = j + 1;
  }
  console.log(`G, ${n.toLocaleString()} messages at 50,000/s (p50 / p99 / p99.9):`);
  console.log(`  emission → ack:                         ${quantiles(total)}`);
  console.log(`  per burst, emission → handleEvents:     ${quantiles(toReach)}`);
  console.log(`  per burst, handleEvents → first handler: ${quantiles(toFirst)}`);
  console.log(`  handler → ack:                          ${quantiles(toAck)}`);
  console.log(
    `  messages over 1 ms: ${slow}, of which ${slowInStall} in a burst whose next pacer tick was late too (a stall of the process)`,
  );
}

const which = process.argv[2] ?? 'e100';
if (which === 'e100') {
  await e100Run(10_000, false);
  await e100Run(N, true);
} else {
  await gRunOnce(20_000, false);
  await gRunOnce(N, true);
}
