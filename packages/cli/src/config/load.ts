/**
 * Reads a pipeline file (YAML or JSON; JSON is YAML), resolves `${VAR}`s
 * and validates it. Every problem is reported with its path and its line
 * and column in the file, secrets hidden.
 */
import { readFileSync } from 'node:fs';
import { SluiceError, redact, type RedactOptions } from '@sluice/core';
import { optionPath, schemaProblems, showValue, type SchemaProblem } from '@sluice/core/options';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import {
  configSchema,
  stubsSchema,
  testsSchema,
  type PipelineConfig,
  type TestCase,
} from './schema.ts';
import { convertDurations } from './duration.ts';
import { allowedKeys, didYouMean } from './suggest.ts';
import { interpolate } from './interpolate.ts';

/** One problem in a pipeline file. */
export interface ConfigProblem {
  /** Dotted path of the offending key (`processors.default.concurrency`), or '' for the file itself. */
  readonly path: string;
  readonly message: string;
  readonly line: number | undefined;
  readonly col: number | undefined;
}

/** Thrown when a pipeline file is invalid; `problems` lists every one. */
export class ConfigError extends SluiceError<'ERR_INVALID_CONFIG'> {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  ${formatProblem(file, p)}`);
    super('ERR_INVALID_CONFIG', `${file} is invalid:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

/** `file:line:col: path: message`, the form editors and terminals link. */
export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}:${p.col ?? 1}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

export interface LoadedConfig {
  readonly file: string;
  readonly config: PipelineConfig;
  /**
   * The file's values with `${VAR}`s resolved, before validation: a broker
   * producer gets its options as written, and parses them itself.
   */
  readonly input: Readonly<Record<string, unknown>>;
  /** What in the file came from the environment: `redact(config, { sources })` hides it. */
  readonly sources: NonNullable<RedactOptions['sources']>;
  /** Where a key is in the file, for problems found after loading (a handler's exports). */
  where(path: readonly (string | number)[]): { line: number | undefined; col: number | undefined };
}

/** Loads and validates a pipeline file; throws a {@link ConfigError} listing every problem. */
export function loadConfig(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LoadedConfig {
  const { data, input, sources, where } = loadValidated(file, configSchema, env);
  return { file, config: data, input, sources, where };
}

/**
 * The configuration as `sluice validate --print` and `sluice run`'s log show
 * it: what came from the environment as `[redacted: from $VAR]`, whatever
 * its key; values under secret-named keys (`password`, `token`, `sasl`, …)
 * as `[redacted]`; the credentials of every URL hidden (see `redact` in
 * `@sluice/core`).
 */
export function printable(loaded: LoadedConfig): unknown {
  return redact(loaded.config, { sources: loaded.sources });
}

/** A file of `sluice test` cases, and the stubs every case gets. */
export interface TestsFile {
  readonly tests: TestCase[];
  /** Context entry name → stub module path, relative to the tests file. */
  readonly stubs?: Readonly<Record<string, string>> | undefined;
}

/** Loads a file of `sluice test` cases: `tests: [...]`, and optional `stubs: {...}`. */
export function loadTests(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): TestsFile {
  return loadValidated(file, testsFileSchema, env).data;
}

const testsFileSchema = z
  .object({
    stubs: stubsSchema.optional(),
    tests: testsSchema,
  })
  .strict();

/** Reads, interpolates and validates any Sluice file against `schema`. */
function loadValidated<S extends z.ZodType>(
  file: string,
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): {
  data: z.output<S>;
  input: LoadedConfig['input'];
  sources: LoadedConfig['sources'];
  where: LoadedConfig['where'];
} {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [
      {
        path: '',
        message: `cannot read the file: ${(error as Error).message}`,
        line: undefined,
        col: undefined,
      },
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, syntaxProblems(doc.errors, text, lines));
  }
  const where = (
    path: readonly PropertyKey[],
  ): { line: number | undefined; col: number | undefined } => positionOf(doc, lines, path);

  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [
      { path: '', message: 'expected a mapping of options (name, producer, …)', ...where([]) },
    ]);
  }
  const { value, missing, sources } = interpolate(raw, env);
  if (missing.length > 0) {
    throw new ConfigError(
      file,
      missing.map((m) => ({
        path: optionPath(m.path),
        message: `environment variable ${m.name} is not set (write \${${m.name}:-default} for a default)`,
        ...where(m.path),
      })),
    );
  }
  let result = schema.safeParse(value);
  // `batchTimeout: 2s`: a duration where a number of ms is expected becomes
  // that number (the schemas' ms options say which; see duration.ts).
  while (!result.success && convertDurations(value, result.error.issues) > 0) {
    result = schema.safeParse(value);
  }
  if (!result.success) {
    const problems = schemaProblems(result.error, value).map((p): ConfigProblem => ({
      path: p.path,
      message:
        p.message === 'unknown option'
          ? unknownOption(schema, value, p.keys)
          : `${p.message}, got ${got(p, sources)}`,
      ...where(p.keys),
    }));
    throw new ConfigError(file, problems);
  }
  return { data: result.data, input: value as LoadedConfig['input'], sources, where };
}

/** `unknown option`, with the key it most likely meant when there is one. */
function unknownOption(schema: z.ZodType, value: unknown, keys: readonly PropertyKey[]): string {
  const key = keys.at(-1);
  if (typeof key !== 'string') return 'unknown option';
  const meant = didYouMean(key, allowedKeys(schema, value, keys.slice(0, -1)));
  return meant === undefined ? 'unknown option' : `unknown option; did you mean ${meant}?`;
}

/**
 * The parser's errors as problems. A line indented deeper than the key
 * before it (`  type: generator` then `   count: 10`) reads to YAML as the
 * value going on over two lines, reported at the value's start with two
 * errors; it is told once, at the line that is indented too deep.
 */
function syntaxProblems(
  errors: Document['errors'],
  text: string,
  lines: LineCounter,
): ConfigProblem[] {
  const continued = new Set(
    errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]),
  );
  return errors
    .filter((e) => !(e.code === 'BLOCK_AS_IMPLICIT_KEY' && continued.has(e.pos[0])))
    .map((e): ConfigProblem => {
      if (e.code === 'MULTILINE_IMPLICIT_KEY') {
        const { line } = lines.linePos(e.pos[1]);
        const start = lines.lineStarts[line - 1] ?? 0;
        const indent = /^ */.exec(text.slice(start))?.[0].length ?? 0;
        return {
          path: '',
          message:
            'syntax error: this line is indented deeper than the key above it (keys of one mapping start at the same column)',
          line,
          col: indent + 1,
        };
      }
      return {
        path: '',
        // The position is reported separately; keep the first sentence.
        message: `syntax error: ${(e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '')}`,
        line: e.linePos?.[0]?.line,
        col: e.linePos?.[0]?.col,
      };
    });
}

function positionOf(
  doc: Document,
  lines: LineCounter,
  path: readonly PropertyKey[],
): { line: number | undefined; col: number | undefined } {
  // The deepest node that exists: a missing key points at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node =
      depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as (string | number)[], true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range !== undefined) {
      // Point at the key when there is one, for `key: value` lines.
      const pos = lines.linePos(
        depth > 0 ? (keyOffset(doc, path.slice(0, depth)) ?? range[0]) : range[0],
      );
      return { line: pos.line, col: pos.col };
    }
  }
  return { line: undefined, col: undefined };
}

function keyOffset(doc: Document, path: readonly PropertyKey[]): number | undefined {
  const parent =
    path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1) as (string | number)[], true);
  const items = (
    parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null
  )?.items;
  const key = path.at(-1);
  const pair = items?.find((item) => item.key?.value === key);
  return pair?.key?.range?.[0];
}

/**
 * What a problem found: 'nothing', or the value with its secrets hidden at
 * any depth, and what came from the environment shown as
 * `[redacted: from $VAR]`.
 */
function got(p: SchemaProblem, sources: LoadedConfig['sources']): string {
  if (p.value === undefined) return 'nothing';
  return showValue(redact(p.value, { path: p.keys, sources }), p.keys);
}
