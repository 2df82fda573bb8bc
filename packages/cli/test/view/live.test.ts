import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LiveView } from '../../src/view/index.ts';

function terminal(columns: number): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = Object.assign(new PassThrough(), { columns, rows: 40, isTTY: true });
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    text: () => stripVTControlCharacters(written),
  };
}

describe('LiveView', () => {
  it('cuts the frame to the width and writes logged lines above it, at most five per frame', () => {
    const { stream, text } = terminal(60);
    const view = new LiveView({
      render: (width) => `frame at ${width} ${'x'.repeat(100)}`,
      stream,
    });
    for (let i = 1; i <= 8; i++) view.log(`line ${i} ${'y'.repeat(100)}`);
    view.draw();
    view.stop();
    const lines = text()
      .split('\n')
      .filter((l) => l !== '');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60);
    expect(lines.filter((l) => l.startsWith('line '))).toHaveLength(5);
    expect(lines).toContain('… 3 more log lines');
    expect(lines.at(-1)).toMatch(/^frame at 60 x+…$/);
  });
});
