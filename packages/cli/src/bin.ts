#!/usr/bin/env node
/** The `sluice` command. */
import { parseArgs } from 'node:util';
import { run } from './commands/run.ts';
import { schema } from './commands/schema.ts';
import { test } from './commands/test.ts';
import { topology } from './commands/topology.ts';
import { validate } from './commands/validate.ts';
import { HELP } from './help.ts';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    console.log(HELP['main']);
    return command === undefined ? 2 : 0;
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
      options: {
        help: { type: 'boolean', short: 'h' },
        print: { type: 'boolean' },
        'no-handlers': { type: 'boolean' },
        tests: { type: 'string' },
        'log-level': { type: 'string' },
      },
    });
  } catch (error) {
    console.error(`sluice ${command}: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help === true) {
    console.log(usage);
    return 0;
  }
  if (command === 'schema') return schema();
  const file = parsed.positionals[0];
  if (file === undefined || parsed.positionals.length > 1) {
    console.error(`sluice ${command}: expected one pipeline file\n\n${usage}`);
    return 2;
  }
  switch (command) {
    case 'run':
      return run(file, {
        tty: process.stderr.isTTY,
        logLevel: parsed.values['log-level'] ?? 'info',
      });
    case 'validate':
      return validate(file, {
        print: parsed.values.print === true,
        handlers: parsed.values['no-handlers'] !== true,
      });
    case 'topology':
      return topology(file);
    case 'test':
      return test(file, parsed.values.tests !== undefined ? { tests: parsed.values.tests } : {});
    default:
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
