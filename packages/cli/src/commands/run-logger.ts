/**
 * `sluice run`'s logger: pino JSON on stderr. Two things keep a start-up
 * failure to one line:
 *
 * - an error's cause is logged as a nested `cause`, not appended to its
 *   message (a broker error's message already says what its cause says);
 * - while the pipeline starts, records that carry an error are held back:
 *   if the start fails, those about the same error are dropped, since the
 *   run's own "failed to start" line tells it; if it succeeds, they are
 *   written as they were.
 */
import { pino, type Logger } from 'pino';

interface Destination {
  write(line: string): unknown;
  flush?(): void;
  /** pino's asynchronous destination: writes what it buffers now, before `process.exit`. */
  flushSync?(): void;
}

/** A stream that can hold records back while the pipeline starts. */
class HeldStream implements Destination {
  #held: string[] | undefined;
  readonly #target: Destination;

  constructor(target: Destination) {
    this.#target = target;
  }

  write(line: string): void {
    // Only records with an error wait: progress and info lines go straight out.
    if (this.#held !== undefined && line.includes('"err":')) this.#held.push(line);
    else this.#target.write(line);
  }

  /**
   * Writes out what the destination buffers. `flush()` of pino's
   * asynchronous destination only starts a write, which `process.exit`
   * can cut short (a run's summary, its last line, was lost that way under
   * load), so its synchronous flush comes first.
   */
  flush(): void {
    if (this.#target.flushSync !== undefined) {
      try {
        this.#target.flushSync();
        return;
      } catch {
        // not open yet: the asynchronous flush below is all there is
      }
    }
    this.#target.flush?.();
  }

  hold(): void {
    this.#held = [];
  }

  /** Writes what was held, except the records `drop` picks. */
  release(drop: (record: { err?: { message?: string } }) => boolean = () => false): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const line of held) {
      if (!drop(JSON.parse(line) as { err?: { message?: string } })) this.#target.write(line);
    }
  }
}

/** The run's logger, and the start-up window's controls. */
export interface RunLogger {
  readonly logger: Logger;
  /** Holds error records back from now until {@link RunLogger.started} or {@link RunLogger.failedToStart}. */
  starting(): void;
  /** The start succeeded: writes what was held. */
  started(): void;
  /** The start failed with `error`: drops held records about it, writes the rest. */
  failedToStart(error: unknown): void;
}

/**
 * `target`: where records go (the live view's log sink on a terminal);
 * pino JSON on stderr by default.
 */
export function runLogger(level: string, target?: Destination): RunLogger {
  const stream = new HeldStream(target ?? pino.destination({ fd: 2, sync: false }));
  const logger = pino(
    { name: 'sluice', level, serializers: { err: pino.stdSerializers.errWithCause } },
    stream,
  );
  return {
    logger,
    starting: () => stream.hold(),
    started: () => stream.release(),
    failedToStart: (error) => {
      const message = (error as Error | undefined)?.message;
      stream.release((record) => message !== undefined && record.err?.message === message);
    },
  };
}
