#!/usr/bin/env node
/** The `sluice` command. */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { dryRun } from './commands/dry-run.ts';
import { run } from './commands/run.ts';
import { schema } from './commands/schema.ts';
import { test } from './commands/test.ts';
import { topology } from './commands/topology.ts';
import { top } from './commands/top.ts';
import { validateAll } from './commands/validate.ts';
import { HELP } from './help.ts';
import { k8s, K8S_OPTIONS } from './commands/k8s.ts';
import { dlq, DLQ_OPTIONS } from './commands/dlq.ts';
import { exitWhenDone } from './lifecycle.ts';
import { pino } from 'pino';

/** pino's levels, for `--log-level`. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Each command's own options: another command's option is an unknown option, not ignored. */
const OPTIONS: Record<string, ParseArgsConfig['options']> = {
  run: {
    'log-level': { type: 'string' },
    'env-file': { type: 'string', multiple: true },
    'admin-port': { type: 'string' },
  },
  validate: {
    print: { type: 'boolean' },
    'no-handlers': { type: 'boolean' },
    'env-file': { type: 'string', multiple: true },
  },
  topology: { 'env-file': { type: 'string', multiple: true } },
  'dry-run': { 'env-file': { type: 'string', multiple: true } },
  test: { tests: { type: 'string' }, 'env-file': { type: 'string', multiple: true } },
  top: { once: { type: 'boolean' } },
  k8s: K8S_OPTIONS,
  dlq: DLQ_OPTIONS,
};

/** This package's version, from its package.json (one folder above src/ and dist/). */
function version(): string {
  const manifest = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

/**
 * Loads each `--env-file` into process.env (Node's own .env parser);
 * variables already set in the environment keep their values. Returns a
 * problem for a file that cannot be read.
 */
function loadEnvFiles(files: readonly string[]): string | undefined {
  for (const file of files) {
    try {
      process.loadEnvFile(file);
    } catch (error) {
      return `--env-file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
  }
  return undefined;
}

/** parseArgs's error, without its advice on '--' when the option is simply unknown. */
function optionError(error: Error): string {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message);
  return unknown !== null
    ? `unknown option '${unknown[1] ?? ''}' (see the options below)`
    : error.message;
}

/** The `--log-level` of the command, once parsed. */
let chosenLogLevel = 'info';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    console.log(HELP['main']);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    console.log(version());
    return 0;
  }
  const usage = HELP[command];
  if (usage === undefined) {
    console.error(`sluice: unknown command '${command}'\n\n${HELP['main']}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' }, ...(OPTIONS[command] ?? {}) },
    });
  } catch (error) {
    console.error(`sluice ${command}: ${optionError(error as Error)}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help === true) {
    console.log(usage);
    return 0;
  }
  if (command === 'schema') {
    if (parsed.positionals.length > 0) {
      console.error(
        `sluice schema: takes no file, got ${parsed.positionals.map((p) => `'${p}'`).join(' ')}\n\n${usage}`,
      );
      return 2;
    }
    return schema();
  }
  if (command === 'top') {
    const [url, ...extra] = parsed.positionals;
    if (url === undefined || extra.length > 0) {
      console.error(`sluice top: expected one admin server URL\n\n${usage}`);
      return 2;
    }
    return top(url, { once: (parsed.values as { once?: boolean }).once === true });
  }
  const logLevel = (parsed.values as { 'log-level'?: string })['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    console.error(
      `sluice ${command}: --log-level: expected one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'\n\n${usage}`,
    );
    return 2;
  }
  chosenLogLevel = logLevel;
  const envProblem = loadEnvFiles((parsed.values as { 'env-file'?: string[] })['env-file'] ?? []);
  if (envProblem !== undefined) {
    console.error(`sluice ${command}: ${envProblem}\n\n${usage}`);
    return 2;
  }
  if (command === 'dlq') return dlq(parsed.positionals, parsed.values, usage);
  if (command === 'validate' && parsed.positionals.length > 0) {
    return validateAll(parsed.positionals, {
      print: (parsed.values as { print?: boolean }).print === true,
      handlers: (parsed.values as { 'no-handlers'?: boolean })['no-handlers'] !== true,
    });
  }
  const file = parsed.positionals[0];
  if (file === undefined || parsed.positionals.length > 1) {
    const got =
      parsed.positionals.length === 0
        ? 'none'
        : `${parsed.positionals.length}: ${parsed.positionals.map((p) => `'${p}'`).join(' ')}`;
    const expected = command === 'validate' ? 'one or more pipeline files' : 'one pipeline file';
    console.error(`sluice ${command}: expected ${expected}, got ${got}\n\n${usage}`);
    return 2;
  }
  switch (command) {
    case 'run': {
      const admin = (parsed.values as { 'admin-port'?: string })['admin-port'];
      const adminPort = admin === undefined ? undefined : Number(admin);
      if (
        adminPort !== undefined &&
        !(Number.isInteger(adminPort) && adminPort >= 0 && adminPort <= 65535)
      ) {
        console.error(
          `sluice run: --admin-port: expected a port number (0 to 65535), got '${admin}'\n\n${usage}`,
        );
        return 2;
      }
      return run(file, { tty: process.stderr.isTTY, logLevel, adminPort });
    }
    case 'k8s':
      return k8s(file, parsed.values);
    case 'topology':
      return topology(file);
    case 'dry-run':
      return dryRun(file);
    case 'test': {
      const tests = (parsed.values as { tests?: string }).tests;
      return test(file, tests !== undefined ? { tests } : {});
    }
    default:
      return 2;
  }
}

/**
 * Where `--log-level debug` (or SLUICE_DEBUG=1) reports the handles that
 * still held Node when the command was done.
 */
function reportOpenHandles(open: string[]): void {
  const level = process.env['SLUICE_DEBUG'] ? 'debug' : chosenLogLevel;
  if (open.length === 0 || level !== 'debug') return;
  pino({ name: 'sluice', level }, pino.destination({ fd: 2, sync: true })).debug(
    { open },
    `exiting although ${open.length} handle(s) still hold the event loop (${open.join(', ')}); close them in the handler module's teardown`,
  );
}

try {
  // Done is done: a pool or timer the handler module left open does not keep the process.
  exitWhenDone(await main(process.argv.slice(2)), reportOpenHandles);
} catch (error) {
  // A bug, or an error no command expected: one line, not a stack trace
  // (SLUICE_DEBUG=1 shows it).
  const e = error as Error;
  console.error(
    process.env['SLUICE_DEBUG'] ? e.stack : `sluice: unexpected error: ${e.message ?? String(e)}`,
  );
  process.exitCode = 1;
}
