/**
 * Bounded joins: both flows, tagged with their side and key, are merged
 * into one layer partitioned by key; each stage holds its keys' events
 * from both sides until both inputs end, then emits the joined pairs.
 */
import { SluiceError } from '../errors.ts';
import type { Flow } from './flow.ts';
import { pushTo } from './ops.ts';

/** Which unmatched events a bounded join keeps. */
export type JoinMode = 'inner' | 'left' | 'right' | 'full';

/** Options of {@link Flow.boundedJoin}. */
export interface JoinOptions {
  /** Stages the keys are partitioned over (as `Flow.merge`'s `stages`). */
  readonly stages?: number | undefined;
}

/** A join input, tagged with its side and its key (computed once). */
export type Tagged<L, R, K> = { readonly key: K } & ({ readonly left: L } | { readonly right: R });

export function checkJoinMode(mode: JoinMode): void {
  if (!['inner', 'left', 'right', 'full'].includes(mode)) {
    throw new SluiceError(
      'ERR_INVALID_OPTIONS',
      `Flow.boundedJoin: mode: expected one of 'inner', 'left', 'right', 'full', got ${String(mode)}`,
    );
  }
}

/** Joins the tagged events of each stage (already partitioned by key) once its input ends. */
export function joinPairs<L, R, K, O>(
  tagged: Flow<Tagged<L, R, K>>,
  mode: JoinMode,
  join: (left: L | undefined, right: R | undefined) => O,
): Flow<O> {
  return tagged
    .reduce(
      () => ({ lefts: new Map<K, L[]>(), rights: new Map<K, R[]>() }),
      (t, acc) => {
        if ('left' in t) pushTo(acc.lefts, t.key, t.left);
        else pushTo(acc.rights, t.key, t.right);
        return acc;
      },
    )
    .onTrigger(({ lefts, rights }) => {
      const out: O[] = [];
      for (const [key, ls] of lefts) {
        const rs = rights.get(key);
        if (rs !== undefined) {
          for (const l of ls) for (const r of rs) out.push(join(l, r));
        } else if (mode === 'left' || mode === 'full') {
          for (const l of ls) out.push(join(l, undefined));
        }
      }
      if (mode === 'right' || mode === 'full') {
        for (const [key, rs] of rights) {
          if (!lefts.has(key)) for (const r of rs) out.push(join(undefined, r));
        }
      }
      return out;
    });
}
