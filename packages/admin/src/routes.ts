/**
 * What each route answers, as a status and a JSON body: the server
 * (server.ts) does the HTTP around it.
 */
import { z } from 'zod';
import { SluiceError, type Pipeline } from '@sluice/core';
import { parseOptions } from '@sluice/core/options';
import type { StageCounters } from './stage-stats.ts';

/** A route's answer. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

/** `GET` routes that answer JSON. */
export const reads: Readonly<Record<string, (p: Pipeline, stages: StageCounters) => Reply>> = {
  '/livez': (p) => {
    const h = p.health();
    return {
      status: h.live ? 200 : 503,
      body: { live: h.live, reasons: h.reasons, stuck: h.stuck },
    };
  },
  '/readyz': (p) => {
    const h = p.health();
    return {
      status: h.ready ? 200 : 503,
      body: { ready: h.ready, state: h.state, paused: h.paused, reasons: h.reasons },
    };
  },
  '/stats': (p, stages) => ({ status: 200, body: snapshot(p, stages) }),
  '/topology': (p) => ({ status: 200, body: { pipeline: p.name, ...p.topology() } }),
};

/** What `/stats` and each `/events` tick carry. */
export function snapshot(p: Pipeline, stages: StageCounters): unknown {
  const h = p.health();
  return {
    pipeline: p.name,
    state: p.state,
    paused: p.paused,
    ready: h.ready,
    live: h.live,
    stuck: h.stuck,
    ...p.stats(),
    stages: stages.read(),
  };
}

/**
 * `POST` routes: they change the pipeline, so they need the token. `body`
 * is the parsed JSON request body (undefined when there was none).
 */
export const writes: Readonly<Record<string, (p: Pipeline, body: unknown) => Reply>> = {
  '/pause': (p) => control(p, () => p.pause()),
  '/resume': (p) => control(p, () => p.resume()),
  '/concurrency': (p, body) =>
    attempt(() => {
      const { name, concurrency } = parseOptions(concurrencyBody, body, 'POST /concurrency body');
      // The answer is what changed; a partitioned group applies it once its
      // processors have finished what they hold (`applied`, not sent).
      const { stage, kind, key, from, to } = p.resize(name, concurrency as number);
      return { stage, kind, key, from, to };
    }),
  '/rate-limit': (p, body) =>
    attempt(() => {
      // updateRateLimiting checks the body itself, naming each bad field.
      p.updateRateLimiting(body ?? {});
      return { rateLimiting: p.getRateLimiting() };
    }),
};

/** `POST /concurrency`'s body; the concurrency's own limits are `resize`'s. */
const concurrencyBody = z
  .object({
    name: z.string({ error: 'expected the name of a processor or batcher' }),
    concurrency: z.unknown().refine((v) => v !== undefined, { error: 'expected a number' }),
  })
  .strict();

function control(p: Pipeline, change: () => boolean): Reply {
  return attempt(() => {
    const changed = change();
    return { paused: p.paused, changed };
  });
}

/**
 * Runs a change: 200 with what it returns, 400 for a bad request (the
 * message names the field and value), 409 when the pipeline cannot do it
 * in its state.
 */
function attempt(change: () => object): Reply {
  try {
    return { status: 200, body: change() };
  } catch (error) {
    if (error instanceof SluiceError && error.code === 'ERR_PIPELINE_STATE') {
      return { status: 409, body: { error: error.message, code: 'ERR_PIPELINE_STATE' } };
    }
    if (error instanceof SluiceError && error.code === 'ERR_INVALID_OPTIONS') {
      return { status: 400, body: { error: error.message, code: 'ERR_INVALID_OPTIONS' } };
    }
    throw error;
  }
}
