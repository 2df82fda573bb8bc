/**
 * A producer over lines of text, pulled only as consumers ask: the base of
 * the `file` and `stdin` producers. Each line becomes a message whose id is
 * its line number (1-based) and whose data is the line (`lines`) or its
 * parsed JSON (`jsonl`); a line that is not valid JSON fails with the parse
 * error, so it is acked as failed rather than dropped.
 */
import { Message, type Acknowledger, type ProducerModule } from '@sluice/core';
import type { LineFormat } from './options.ts';

/** The line source: an async iterator of lines, created when the producer starts. */
export interface LineSource {
  /** Opens the source; throws, failing the pipeline's start, when it cannot be read. */
  open(): AsyncIterator<string>;
  /** Lines to skip first (already acked by an earlier run). */
  readonly skip: number;
  /** A line read but not emitted (a blank line in `jsonl`): it is done too. */
  skipped?(line: number): void;
}

/** What a line producer tells its owner about the source. */
export interface LineEvents {
  /** The source has ended; `emitted` messages were emitted in all. */
  readonly onExhausted?: (result: { emitted: number }) => void;
  /** Reading failed: nothing more will come. */
  readonly onFailed?: (error: Error) => void;
}

export function lineProducer(
  source: LineSource,
  format: LineFormat,
  acknowledger: Acknowledger,
  events: LineEvents = {},
): ProducerModule {
  return {
    init(context) {
      if (context.concurrency > 1) {
        context.logger.warn(
          {},
          'a line producer reads one stream: concurrency above 1 leaves the other instances idle',
        );
        if (context.index > 0) return { handleDemand: () => undefined };
      }
      const iterator = source.open();
      let line = 0;
      let emitted = 0;
      let wanted = 0;
      let pumping = false;
      let done = false;
      const abort = new AbortController();

      const toMessage = (text: string, n: number): Message => {
        if (format === 'lines') {
          return new Message({ data: text, id: n, acknowledger, metadata: { line: n } });
        }
        try {
          return new Message({
            data: JSON.parse(text) as unknown,
            id: n,
            acknowledger,
            metadata: { line: n },
          });
        } catch (error) {
          return new Message({ data: text, id: n, acknowledger, metadata: { line: n } }).fail(
            new Error(`line ${n} is not valid JSON: ${(error as Error).message}`),
          );
        }
      };

      const pump = async (): Promise<void> => {
        pumping = true;
        try {
          while (wanted > 0 && !done && !abort.signal.aborted) {
            const batch: Message[] = [];
            while (batch.length < wanted && !done) {
              const next = await iterator.next();
              if (next.done === true) {
                done = true;
                break;
              }
              line++;
              if (line <= source.skip) continue;
              if (format === 'jsonl' && next.value.trim() === '') {
                source.skipped?.(line);
                continue;
              }
              batch.push(toMessage(next.value, line));
              if (batch.length >= 100) break;
            }
            wanted -= batch.length;
            emitted += batch.length;
            if (batch.length > 0) context.emit(batch);
          }
          if (done) events.onExhausted?.({ emitted });
        } catch (error) {
          context.logger.error({ err: error }, 'reading lines failed');
          done = true;
          events.onFailed?.(error as Error);
        } finally {
          pumping = false;
        }
      };

      return {
        handleDemand(demand) {
          wanted += demand;
          if (!pumping) void pump();
        },
        prepareForDraining() {
          abort.abort();
        },
        async terminate() {
          await iterator.return?.();
        },
      };
    },
  };
}
