/**
 * Core's four entry points, through the package's own `exports`: each
 * holds its part, and the root no longer carries the stage core, Flow or
 * the option building blocks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as root from '@sluice/core';
import * as flow from '@sluice/core/flow';
import * as options from '@sluice/core/options';
import * as stage from '@sluice/core/stage';

describe('@sluice/core entry points', () => {
  it('the root is for pipelines', () => {
    for (const name of ['createPipeline', 'Message', 'failureReason', 'generatorProducer']) {
      expect(root).toHaveProperty(name);
    }
    for (const name of ['producer', 'Flow', 'parseOptions', 'positiveInt', 'processorSchema']) {
      expect(root).not.toHaveProperty(name);
    }
  });

  it('/stage, /flow and /options hold their parts', () => {
    expect(stage).toHaveProperty('producer');
    expect(stage).toHaveProperty('PartitionDispatcher');
    expect(flow).toHaveProperty('Flow');
    expect(flow).toHaveProperty('Window');
    for (const name of ['parseOptions', 'positiveInt', 'processorSchema', 'batcherSchema']) {
      expect(options).toHaveProperty(name);
    }
  });

  it('every entry point is in package.json, with its source condition', () => {
    const url = new URL('../package.json', import.meta.url);
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as {
      exports: Record<string, { '@sluice/source': string }>;
    };
    for (const entry of ['.', './stage', './flow', './options']) {
      const source = pkg.exports[entry]?.['@sluice/source'];
      expect(source, entry).toBeDefined();
      expect(existsSync(new URL(`../${source}`, import.meta.url)), entry).toBe(true);
    }
  });
});
