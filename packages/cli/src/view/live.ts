/**
 * The redraw loop: a frame every `intervalMs` through log-update, which
 * erases the previous frame and writes the new one in place. Lines logged
 * while the view is on are written above it and stay in the scrollback.
 */
import { createLogUpdate } from 'log-update';
import { fit } from './render.ts';

/** Options of {@link LiveView}. */
export interface LiveViewOptions {
  /** Draws one frame for a terminal `width` columns wide. Lines wider than that are cut. */
  readonly render: (width: number) => string;
  /** Where to draw (default `process.stderr`: stdout is left to data). */
  readonly stream?: NodeJS.WriteStream;
  /** Milliseconds between frames (default 250). */
  readonly intervalMs?: number;
}

/**
 * A view redrawn in place on a terminal. Its timer is unref'd: the view
 * never keeps a process alive. Resizing the terminal takes effect on the
 * next frame (the width is read per frame).
 */
export class LiveView {
  readonly #render: (width: number) => string;
  readonly #stream: NodeJS.WriteStream;
  readonly #interval: number;
  readonly #update: ReturnType<typeof createLogUpdate>;
  #timer: NodeJS.Timeout | undefined;
  #pending: string[] = [];
  #dropped = 0;

  /** Creates the view; {@link LiveView.start} draws it. */
  constructor(options: LiveViewOptions) {
    this.#render = options.render;
    this.#stream = options.stream ?? process.stderr;
    this.#interval = options.intervalMs ?? 250;
    this.#update = createLogUpdate(this.#stream, { showCursor: true });
  }

  /** The terminal's width in columns (80 when the stream does not say). */
  get width(): number {
    return this.#stream.columns > 0 ? this.#stream.columns : 80;
  }

  /** Draws the first frame and starts redrawing. */
  start(): this {
    this.draw();
    this.#timer = setInterval(() => this.draw(), this.#interval);
    this.#timer.unref();
    return this;
  }

  /** Draws one frame now, below the lines logged since the last one. */
  draw(): void {
    const width = this.width;
    if (this.#pending.length > 0 || this.#dropped > 0) {
      this.#update.clear();
      const lines = this.#pending.map((line) => fit(line, width));
      if (this.#dropped > 0) lines.push(`… ${this.#dropped} more log lines`);
      this.#update.persist(lines.join('\n'));
      this.#pending = [];
      this.#dropped = 0;
    }
    const frame = this.#render(width)
      .split('\n')
      .map((line) => fit(line, width))
      .join('\n');
    this.#update(frame);
  }

  /**
   * Writes `line` above the view (cut to the width) with the next frame.
   * At most {@link LiveView.MAX_LINES_PER_FRAME} lines per frame: the rest
   * are counted in one line, so a burst of logs cannot flood the terminal.
   */
  log(line: string): void {
    if (this.#pending.length < LiveView.MAX_LINES_PER_FRAME) this.#pending.push(line);
    else this.#dropped++;
  }

  /** Most lines {@link LiveView.log} writes above the view per frame. */
  static readonly MAX_LINES_PER_FRAME = 5;

  /**
   * Stops redrawing. The last frame is drawn once more and left on screen
   * (`keep`, the default) or erased.
   */
  stop(keep = true): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (keep) {
      this.draw();
      this.#update.done();
    } else {
      this.#update.clear();
    }
  }
}
