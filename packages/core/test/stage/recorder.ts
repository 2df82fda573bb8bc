import type { DispatchTarget } from '../../src/stage/dispatcher.ts';

/** A DispatchTarget that records what a dispatcher asked for, for pure tests. */
export function recorder<T, S>() {
  const delivered: [S, T[]][] = [];
  const reasked: [S, number][] = [];
  const infos: unknown[] = [];
  const discarded: number[] = [];
  const warnings: string[] = [];
  const target: DispatchTarget<T, S> = {
    deliver: (s, events) => delivered.push([s, events]),
    reask: (s, n) => reasked.push([s, n]),
    info: (m) => infos.push(m),
    discard: (n) => discarded.push(n),
    warn: (m) => warnings.push(m),
  };
  return { target, delivered, reasked, infos, discarded, warnings };
}
