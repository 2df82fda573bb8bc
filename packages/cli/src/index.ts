/**
 * @sluice/cli: pipelines declared in a YAML or JSON file, with your
 * handlers in TypeScript or JavaScript, run by the `sluice` command.
 */
export {};
