/**
 * A handler module's lifecycle hooks, beside its callbacks:
 *
 * - `setup(context)` runs once before the pipeline starts (and once before
 *   `sluice test`'s cases). It may change `context` in place or return an
 *   object whose entries are added to it: open a database pool there.
 * - `teardown(context)` runs once after the pipeline has stopped, with the
 *   same context, and gets at most `shutdownTimeout` ms: close the pool.
 *
 * And how a command leaves once it is done: {@link exitWhenDone} ends the
 * process with the run's exit code even if a handle (a pool, a timer, a
 * socket) still holds Node's event loop.
 */
import type { Logger } from '@sluice/core';
import type { ConfigError } from './config/load.ts';
import type { Handlers } from './handlers.ts';

/** The context handlers receive: the file's `context:` entries, and what `setup` adds. */
export type HandlerContext = Record<string, unknown>;

/** The hooks a handler module may export. */
export interface Lifecycle {
  /** Before start: may change `context`, or return entries to add to it. */
  readonly setup?: (context: HandlerContext) => unknown;
  /** After stop: release what `setup` (or the module) opened. */
  readonly teardown?: (context: HandlerContext) => unknown;
}

const HOOKS = ['setup', 'teardown'] as const;

/** Each loaded module's hooks, by its handlers object (so `Handlers` stays the callbacks only). */
const hooks = new WeakMap<Handlers, Lifecycle>();

/**
 * Reads `setup` and `teardown` from a handler module's exports and keeps
 * them with its `handlers`; throws `problem(...)` when one is not a function.
 */
export function rememberLifecycle(
  handlers: Handlers,
  exports: Readonly<Record<string, unknown>>,
  problem: (message: string) => ConfigError,
  path: string,
): void {
  const found: Record<string, unknown> = {};
  for (const name of HOOKS) {
    const hook = exports[name];
    if (hook === undefined) continue;
    if (typeof hook !== 'function') {
      throw problem(`handler module ${path}: ${name} must be a function, got ${typeof hook}`);
    }
    found[name] = hook;
  }
  hooks.set(handlers, found);
}

/** The hooks the module behind `handlers` exports (none for a module not loaded). */
export function lifecycleOf(handlers: Handlers): Lifecycle {
  return hooks.get(handlers) ?? {};
}

/**
 * Thrown when `setup` fails: the run does not start. Its message holds the
 * cause's, and its stack is the cause's (where in the module it threw), so
 * a log shows the cause once rather than again as a `cause`.
 */
export class SetupError extends Error {
  constructor(cause: unknown) {
    super(`the handler module's setup failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'SetupError';
    if (cause instanceof Error && cause.stack !== undefined) this.stack = cause.stack;
  }
}

/**
 * Runs `setup` on a copy of `context` and returns the context the handlers
 * get: the copy as `setup` left it, plus the entries of the object it
 * returned, if any. Throws a {@link SetupError} when it throws.
 */
export async function setUp(
  lifecycle: Lifecycle,
  context: HandlerContext | undefined,
): Promise<HandlerContext> {
  const copy: HandlerContext = { ...context };
  if (lifecycle.setup === undefined) return copy;
  let added: unknown;
  try {
    added = await lifecycle.setup(copy);
  } catch (error) {
    throw new SetupError(error);
  }
  return added !== null && typeof added === 'object' ? { ...copy, ...added } : copy;
}

/** How teardown went. */
export type TeardownOutcome = 'done' | 'none' | 'timed out' | 'failed';

/**
 * Runs `teardown(context)` for at most `timeoutMs`; never throws. A
 * failure or a timeout is logged as a warning and does not change the
 * run's exit code: the messages were acked (or not) before it ran.
 */
export async function tearDown(
  lifecycle: Lifecycle,
  context: HandlerContext,
  timeoutMs: number,
  logger: Pick<Logger, 'warn'>,
): Promise<TeardownOutcome> {
  const teardown = lifecycle.teardown;
  if (teardown === undefined) return 'none';
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), timeoutMs);
    timer.unref();
  });
  const outcome = await Promise.race([
    Promise.resolve()
      .then(() => teardown(context))
      .then(
        () => 'done' as const,
        (error: unknown) => {
          logger.warn({ err: error }, "the handler module's teardown failed");
          return 'failed' as const;
        },
      ),
    timedOut,
  ]);
  clearTimeout(timer);
  if (outcome === 'timed out') {
    logger.warn(
      { shutdownTimeout: timeoutMs },
      `the handler module's teardown did not finish within shutdownTimeout (${timeoutMs} ms)`,
    );
  }
  return outcome;
}

/**
 * Ends the process with `code` once the command is done. When nothing
 * holds the event loop, Node exits by itself; when something still does
 * (a pool, a timer, a socket the handler module left open), this exits
 * anyway, after stdout has been written, reporting the open handles to
 * `debug`. A signal while waiting also exits with `code`.
 */
export function exitWhenDone(code: number, debug: (open: string[]) => void): void {
  process.exitCode = code;
  exitOnSignal(code);
  // An unref'd timer does not keep Node alive: it fires only if something else does.
  setTimeout(() => {
    debug(process.getActiveResourcesInfo());
    leave(code);
  }, 0).unref();
}

/**
 * From now on, the first SIGTERM or SIGINT exits with `code`: for a run
 * that has finished (its pipeline stopped) but is still tearing down or
 * leaving. Replaces the listeners that drained the pipeline.
 */
export function exitOnSignal(code: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => leave(code));
  }
}

/** Exits with `code` once what was written to stdout is out. */
function leave(code: number): void {
  process.stdout.write('', () => process.exit(code));
}
