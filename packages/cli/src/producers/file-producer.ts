/**
 * The `file` producer: a file's lines, with progress saved. The
 * acknowledger records which lines are done (acked successful or failed)
 * and writes the highest line below which every line is done to a
 * checkpoint file, so a restart resumes right after the last acked line.
 */
import {
  createReadStream,
  existsSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import type { Acknowledger, ProducerModule } from '@sluice/core';
import { lineProducer, type LineEvents } from './line-producer.ts';
import type { FileOptions } from './options.ts';

/** Tracks done lines and the contiguous prefix of them (pure). */
export class LineProgress {
  /** Every line up to and including this one is done. */
  done: number;
  readonly #ahead = new Set<number>();

  constructor(done: number) {
    this.done = done;
  }

  /** Marks a line done; returns true if the contiguous prefix moved. */
  mark(line: number): boolean {
    if (line <= this.done) return false;
    this.#ahead.add(line);
    let moved = false;
    while (this.#ahead.delete(this.done + 1)) {
      this.done++;
      moved = true;
    }
    return moved;
  }
}

export function readCheckpoint(file: string): number {
  if (!existsSync(file)) return 0;
  const n = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** The `file` producer, with its options resolved by the pipeline file's schema. */
export function fileProducer(options: FileOptions & LineEvents): ProducerModule {
  const { checkpoint } = options;
  const skip = readCheckpoint(checkpoint);
  const progress = new LineProgress(skip);
  const save = (): void => {
    // Write then rename, so a crash never leaves a half-written checkpoint.
    writeFileSync(`${checkpoint}.tmp`, `${progress.done}\n`);
    renameSync(`${checkpoint}.tmp`, checkpoint);
  };
  const acknowledger: Acknowledger = {
    ack(_ref, successful, failed) {
      let moved = false;
      for (const m of successful) moved = progress.mark(m.id as number) || moved;
      for (const m of failed) moved = progress.mark(m.id as number) || moved;
      if (moved) save();
    },
  };
  return lineProducer(
    {
      skip,
      open: () => {
        assertReadableFile(options.path);
        return createInterface({ input: createReadStream(options.path), crlfDelay: Infinity })[
          Symbol.asyncIterator
        ]();
      },
      // A line that is not emitted (a blank one) must not hold the checkpoint back.
      skipped: (line) => {
        if (progress.mark(line)) save();
      },
    },
    options.format,
    acknowledger,
    options,
  );
}

/** Throws an error naming the path and what is wrong with it, if it is not a readable file. */
function assertReadableFile(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `file producer: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  if (!isFile) {
    throw new Error(`file producer: cannot read ${path}: it is not a file (a directory?)`);
  }
}
