/**
 * Compile-time checks that a hand-written options interface (needed where
 * zod cannot express a type: generics, callbacks with `this`) accepts what
 * its schema accepts and nothing else. `readonly` is ignored, and so is an explicit `undefined` on optional
 * keys (zod's `.optional()` accepts it).
 *
 * @example
 * ```ts
 * type _Agrees = Assert<Agrees<PipelineDefinition, z.input<typeof pipelineDefinitionObject>>>;
 * ```
 */

/**
 * `true` when `A` and `B` are assignable to each other, taking an optional
 * key's `?: T` and zod's `?: T | undefined` as the same.
 */
export type Agrees<A, B> = [Defined<A>] extends [Defined<B>]
  ? [Defined<B>] extends [Defined<A>]
    ? true
    : false
  : false;

/** `T` with `undefined` taken out of its optional keys' types (shallow). */
type Defined<T> = { [K in keyof T]: Exclude<T[K], undefined> };

/** Fails to compile unless `T` is `true`. */
export type Assert<T extends true> = T;
