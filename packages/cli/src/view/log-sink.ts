/**
 * Where the CLI's log records go while the live view is on: the full JSON
 * records to a file, and one line per record to the view, where identical
 * lines are counted instead of repeated. A crash in a handler, logged once
 * per message with its stack, so becomes one line with a count.
 */
import { pino } from 'pino';
import { summarizeError } from './errors.ts';
import type { CountedLine } from './snapshot.ts';
import { counted } from './collector.ts';

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** A pino destination that files the records and summarises them. */
export interface LogSink {
  /** Pass as pino's destination: `pino(options, sink.stream)`. */
  readonly stream: { write(chunk: string): void };
  /** The file the full records are appended to. */
  readonly file: string;
  /** Distinct lines so far, most frequent first. */
  lines(): CountedLine[];
  /** Called with each line the first time it is seen (e.g. to print it above the view). */
  onNewLine: ((line: string) => void) | undefined;
}

/**
 * One log record (pino's JSON) as one line: `level message: Error: text
 * (file:line)`, with the numbers of the message and error text as `N`,
 * so a crash logged for message 17 and for message 42 is one line.
 */
export function summarizeRecord(record: Record<string, unknown>): string {
  const level = LEVELS[Number(record['level'])] ?? String(record['level']);
  const general = { generalize: true } as const;
  const message = summarizeError(typeof record['msg'] === 'string' ? record['msg'] : '', general);
  const err = record['err'];
  return err === undefined
    ? `${level} ${message}`
    : `${level} ${message}: ${summarizeError(revive(err), general)}`;
}

/** pino serialises errors as `{ type, message, stack }`; make an Error of one again. */
function revive(err: unknown): unknown {
  if (err === null || typeof err !== 'object') return err;
  const { type, message, stack } = err as { type?: unknown; message?: unknown; stack?: unknown };
  if (typeof message !== 'string') return err;
  const error = new Error(message);
  if (typeof type === 'string') error.name = type;
  error.stack = typeof stack === 'string' ? stack : error.message;
  return error;
}

/** A sink appending records to `file` (created if missing), synchronously: none is lost at exit. */
export function createLogSink(file: string): LogSink {
  const destination = pino.destination({ dest: file, sync: true, mkdir: true });
  const counts = new Map<string, number>();
  const sink: LogSink = {
    file,
    onNewLine: undefined,
    stream: {
      write(chunk: string) {
        destination.write(chunk);
        for (const json of chunk.split('\n')) {
          if (json.trim() === '') continue;
          let line: string;
          try {
            line = summarizeRecord(JSON.parse(json) as Record<string, unknown>);
          } catch {
            line = json;
          }
          const seen = counts.get(line);
          counts.set(line, (seen ?? 0) + 1);
          if (seen === undefined) sink.onNewLine?.(line);
        }
      },
    },
    lines: () => counted(counts),
  };
  return sink;
}
