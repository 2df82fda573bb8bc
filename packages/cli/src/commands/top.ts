/**
 * `sluice top <url>`: the live view `sluice run` draws, for a pipeline
 * running elsewhere, read from its admin server's `/stats` every second.
 * Until Ctrl-C; `--once` prints one frame and exits (for scripts).
 */
import { renderView } from '../view/render.ts';
import { LiveView } from '../view/live.ts';
import { TopModel, type AdminStats } from './top-view.ts';

/** Options of {@link top}. */
export interface TopOptions {
  /** Print one frame to stdout and exit. */
  readonly once?: boolean;
  /** Milliseconds between reads (default 1000). */
  readonly intervalMs?: number;
}

/** The `/stats` URL of the admin server at `base`, or a problem with `base`. */
export function statsUrl(base: string): URL | string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return `expected the admin server's URL, e.g. http://127.0.0.1:9465, got '${base}'`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `expected an http or https URL, got '${base}'`;
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/stats`;
  return url;
}

/** Reads `/stats` once; rejects naming the URL and the cause. */
async function read(url: URL): Promise<AdminStats> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new Error(`cannot reach ${url.href}: ${cause}`, { cause: error });
  }
  if (!response.ok) throw new Error(`${url.href} answered ${response.status}`);
  const body = (await response.json()) as Partial<AdminStats>;
  if (typeof body.pipeline !== 'string' || typeof body.successful !== 'number') {
    throw new Error(`${url.href} did not answer a Sluice admin server's stats`);
  }
  return body as AdminStats;
}

/** Runs `sluice top`; resolves with the exit code. */
export async function top(base: string, options: TopOptions = {}): Promise<number> {
  const url = statsUrl(base);
  if (typeof url === 'string') {
    console.error(`sluice top: ${url}`);
    return 2;
  }
  const model = new TopModel(performance.now());
  if (options.once === true) {
    try {
      const frame = renderView(model.view(await read(url), performance.now()), {
        width: process.stdout.columns > 0 ? process.stdout.columns : 100,
      });
      console.log(frame);
      return 0;
    } catch (error) {
      console.error(`sluice top: ${(error as Error).message}`);
      return 1;
    }
  }
  let frame = `connecting to ${url.href}…`;
  const view = new LiveView({ render: () => frame }).start();
  const poll = async (): Promise<void> => {
    try {
      frame = renderView(model.view(await read(url), performance.now()), { width: view.width });
    } catch (error) {
      frame = `sluice top: ${(error as Error).message} (retrying)`;
    }
  };
  await poll();
  const timer = setInterval(() => void poll(), options.intervalMs ?? 1000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  view.stop(true);
  return 0;
}
