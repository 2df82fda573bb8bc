/**
 * What each route answers, as a status and a JSON body: the server
 * (server.ts) does the HTTP around it.
 */
import { SluiceError, type Pipeline } from '@sluice/core';

/** A route's answer. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

/** `GET` routes that answer JSON. */
export const reads: Readonly<Record<string, (p: Pipeline) => Reply>> = {
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
  '/stats': (p) => ({ status: 200, body: snapshot(p) }),
  '/topology': (p) => ({ status: 200, body: { pipeline: p.name, ...p.topology() } }),
};

/** What `/stats` and each `/events` tick carry. */
export function snapshot(p: Pipeline): unknown {
  const h = p.health();
  return {
    pipeline: p.name,
    state: p.state,
    paused: p.paused,
    ready: h.ready,
    live: h.live,
    stuck: h.stuck,
    ...p.stats(),
  };
}

/** `POST` routes: they change the pipeline, so they need the token. */
export const writes: Readonly<Record<string, (p: Pipeline) => Reply>> = {
  '/pause': (p) => control(p, () => p.pause()),
  '/resume': (p) => control(p, () => p.resume()),
};

function control(p: Pipeline, change: () => boolean): Reply {
  try {
    const changed = change();
    return { status: 200, body: { paused: p.paused, changed } };
  } catch (error) {
    if (error instanceof SluiceError && error.code === 'ERR_PIPELINE_STATE') {
      return { status: 409, body: { error: error.message, code: 'ERR_PIPELINE_STATE' } };
    }
    throw error;
  }
}
