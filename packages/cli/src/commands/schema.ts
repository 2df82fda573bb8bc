/** `sluice schema`: the pipeline file's JSON Schema, for editors. */
import { configJsonSchemaText } from '../config/json-schema.ts';

export function schema(): number {
  process.stdout.write(configJsonSchemaText());
  return 0;
}
