import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { redact, redactText, redactUrl, urlSecrets } from '../src/index.ts';
import { parseOptions, showValue } from '../src/options/index.ts';
import type { InvalidOptionsError } from '../src/index.ts';

describe('redactUrl', () => {
  it('hides the password of a well-formed URL and keeps the user name', () => {
    expect(redactUrl('amqp://guest:guest@127.0.0.1:5672/vhost')).toBe(
      'amqp://guest:[redacted]@127.0.0.1:5672/vhost',
    );
    expect(redactUrl('http://127.0.0.1:9324/queue')).toBe('http://127.0.0.1:9324/queue');
  });

  it('hides a password with an unencoded / whole', () => {
    expect(redactUrl('amqp://u:p/w0rd@host:5672/vh')).toBe('amqp://u:[redacted]@host:5672/vh');
  });

  it('hides a password with an unencoded @ whole: credentials run to the last @', () => {
    expect(redactUrl('amqp://u:p@ss/w0rd@host')).toBe('amqp://u:[redacted]@host');
  });

  it('hides user info without a password (a token) whole', () => {
    expect(redactUrl('https://ghp_abc123@github.com/x')).toBe('https://[redacted]@github.com/x');
  });

  it('hides the credentials of every URL in text, each up to the next whitespace', () => {
    expect(redactText('at amqp://u:p/w@h:1 and http://x:y@z/q: refused')).toBe(
      'at amqp://u:[redacted]@h:1 and http://x:[redacted]@z/q: refused',
    );
  });

  it("hides the pieces of a misread URL's password that a library repeats", () => {
    const url = 'amqp://u:p@ss/w0rd@127.0.0.1';
    expect(redactText('getaddrinfo ENOTFOUND ss', urlSecrets(url))).toBe(
      'getaddrinfo ENOTFOUND [redacted]',
    );
    expect(redactText('the address is fine', urlSecrets(url))).toBe('the address is fine');
  });
});

describe('redact', () => {
  it('hides everything under a secret key, at any depth and of any type', () => {
    expect(
      redact({
        password: 123,
        nested: [{ apiKey: 'k', sasl: { mechanism: 'plain', username: 'u', password: 'p' } }],
        name: 'n',
      }),
    ).toEqual({
      password: '[redacted]',
      nested: [
        {
          apiKey: '[redacted]',
          sasl: { mechanism: '[redacted]', username: '[redacted]', password: '[redacted]' },
        },
      ],
      name: 'n',
    });
  });

  it('hides the credentials of URLs under any key, and of host lists under a URL key', () => {
    expect(
      redact({ upstream: 'amqp://u:p/w@h', brokers: ['u:secret@kafka:9092', 'kafka:9093'] }),
    ).toEqual({
      upstream: 'amqp://u:[redacted]@h',
      brokers: ['u:[redacted]@kafka:9092', 'kafka:9093'],
    });
  });

  it('hides what came from a variable, naming it, under any key', () => {
    const sources = (path: readonly PropertyKey[]) =>
      path.join('.') === 'context.upstream'
        ? [{ name: 'API_TOKEN', value: 'tok-123456' }]
        : path.join('.') === 'n'
          ? [{ name: 'N', value: '5' }]
          : undefined;
    expect(redact({ context: { upstream: 'Bearer tok-123456' }, n: 5, m: 5 }, { sources })).toEqual(
      {
        context: { upstream: 'Bearer [redacted: from $API_TOKEN]' },
        n: '[redacted: from $N]',
        m: 5,
      },
    );
  });

  it('keeps a placeholder that names its variable, even under a secret key', () => {
    expect(redact({ password: '[redacted: from $PW]' })).toEqual({
      password: '[redacted: from $PW]',
    });
    expect(showValue('[redacted: from $PW]', ['password'])).toBe('[redacted: from $PW]');
  });

  it('returns values without secrets as they are', () => {
    const value = { a: [1, { b: 'c' }] };
    expect(redact(value)).toBe(value);
  });
});

describe('option errors', () => {
  const schema = z
    .object({
      url: z.string().regex(/^amqps?:\/\//, { error: 'expected an amqp:// URL' }),
      context: z.record(z.string(), z.unknown()),
      sasl: z.object({ password: z.string() }).strict().optional(),
    })
    .strict();

  const failure = (input: unknown): InvalidOptionsError => {
    try {
      parseOptions(schema, input, 'test options');
    } catch (error) {
      return error as InvalidOptionsError;
    }
    throw new Error('no error');
  };

  it('print no secret, at any depth, in the message or in issues', () => {
    const error = failure({
      url: 'http://u:p/w0rd@host',
      context: [{ password: 'hunter2', deeper: { token: 't0k3n' } }],
      sasl: { password: 123 },
    });
    expect(error.message).toContain("url: expected an amqp:// URL, got 'http://u:[redacted]@host'");
    expect(error.message).toContain("got [ { password: '[redacted]', deeper: [Object] } ]");
    expect(error.message).toContain('sasl.password: expected string, got [redacted]');
    const all = `${error.message} ${JSON.stringify(error.issues)}`;
    for (const secret of ['w0rd', 'hunter2', 't0k3n', '123']) expect(all).not.toContain(secret);
  });

  it('showValue hides a value by where it sits', () => {
    expect(showValue('p', ['sasl', 'password'])).toBe('[redacted]');
    expect(showValue({ username: 'u' }, ['sasl'])).toBe("{ username: '[redacted]' }");
  });
});

describe('redactText on stacks and paths', () => {
  it('leaves file URLs and @ in paths alone', () => {
    const frame = 'at f (file:///app/node_modules/@aws-sdk/x/index.js:1:2)';
    expect(redactText(frame)).toBe(frame);
    expect(redactUrl('https://registry.example/@scope/pkg')).toBe(
      'https://registry.example/@scope/pkg',
    );
  });
});
