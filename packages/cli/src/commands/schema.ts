/** `sluice schema`: the pipeline file's JSON Schema, for editors. */
import { configJsonSchema } from '../config/schema.ts';

export function schema(): number {
  console.log(JSON.stringify(configJsonSchema(), null, 2));
  return 0;
}
