/**
 * The Standard Schema interface (https://standardschema.dev, version 1):
 * the `~standard` property that zod (v3.24+ and v4), valibot, arktype and
 * others put on their schemas. Vendored as types only, as the spec invites,
 * so `@sluice/core` needs no package for it; any library that implements
 * the spec fits.
 */

/** A validator that follows Standard Schema v1. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

// eslint-disable-next-line @typescript-eslint/no-namespace -- the spec's own shape, merged with the interface
export declare namespace StandardSchemaV1 {
  /** What `~standard` holds. */
  export interface Props<Input = unknown, Output = Input> {
    /** The spec's version: 1. */
    readonly version: 1;
    /** The library's name, e.g. `'zod'`. */
    readonly vendor: string;
    /** Validates a value: a result, or a promise of one (async validators). */
    readonly validate: (
      value: unknown,
      options?: Options,
    ) => Result<Output> | Promise<Result<Output>>;
    /** Types only: the schema's input and output types. */
    readonly types?: Types<Input, Output> | undefined;
  }

  /** Options a library may take in `validate`. */
  export interface Options {
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }

  /** What `validate` returns. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;

  /** The value matched: `value` is the parsed output. */
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }

  /** The value did not match. */
  export interface FailureResult {
    readonly issues: readonly Issue[];
  }

  /** One problem, with where it was found. */
  export interface Issue {
    readonly message: string;
    readonly path?: readonly (PropertyKey | PathSegment)[] | undefined;
  }

  /** A path segment given as an object. */
  export interface PathSegment {
    readonly key: PropertyKey;
  }

  /** The input and output types of a schema. */
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }

  /** The input type of a schema. */
  export type InferInput<S extends StandardSchemaV1> = NonNullable<
    S['~standard']['types']
  >['input'];

  /** The output type of a schema. */
  export type InferOutput<S extends StandardSchemaV1> = NonNullable<
    S['~standard']['types']
  >['output'];
}
