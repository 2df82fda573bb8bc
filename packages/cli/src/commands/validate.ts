/**
 * `sluice validate <file>...`: every problem, with its line and column; exit 2
 * on any. It imports the handler module to check its exports, which runs the
 * module's top-level code; `--no-handlers` leaves it alone, for linting files
 * one does not trust.
 */
import { createPipeline } from '@sluice/core';
import { buildDefinition } from '../build.ts';
import { loadConfig, printable } from '../config/load.ts';
import { reportInvalid } from './report.ts';
import { describeTopology } from './topology.ts';

export async function validate(
  file: string,
  options: { print: boolean; handlers: boolean },
): Promise<number> {
  try {
    const loaded = loadConfig(file);
    const definition = await buildDefinition(loaded, undefined, { loadHandlers: options.handlers });
    const pipeline = createPipeline(definition);
    console.log(`${file} is valid.`);
    console.log(describeTopology(pipeline.definition, loaded.config.producer.type));
    if (options.print) console.log(JSON.stringify(printable(loaded), null, 2));
    return 0;
  } catch (error) {
    return reportInvalid(file, error);
  }
}

/**
 * Validates each file in turn (a blank line between their reports);
 * exits 2 if any is invalid, else 0.
 */
export async function validateAll(
  files: readonly string[],
  options: { print: boolean; handlers: boolean },
): Promise<number> {
  let worst = 0;
  for (const [i, file] of files.entries()) {
    if (i > 0) console.log('');
    worst = Math.max(worst, await validate(file, options));
  }
  return worst;
}
