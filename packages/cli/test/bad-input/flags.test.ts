/**
 * Issue 15's bad-input suite, the CLI's flags and arguments: each mistake
 * exits 2 with a message naming the flag or argument and what was expected,
 * never a stack trace.
 */
import { describe, it } from 'vitest';
import { HEAD, expectClearFailure, type CliRow } from './support.ts';

const ok = { 'p.yaml': HEAD };
const LEVELS = 'expected one of fatal, error, warn, info, debug, trace, silent';

const rows: CliRow[] = [
  { name: 'no command', args: [], code: 2, says: [] },
  {
    name: 'an unknown command',
    args: ['start', 'p.yaml'],
    files: ok,
    code: 2,
    says: ["unknown command 'start'", 'Commands:'],
  },
  {
    name: 'a command with a typo',
    args: ['valdate', 'p.yaml'],
    files: ok,
    code: 2,
    says: ["unknown command 'valdate'"],
  },
  {
    name: 'a flag as the command',
    args: ['--strict'],
    code: 2,
    says: ["unknown command '--strict'"],
  },
  {
    name: 'an unknown flag',
    args: ['validate', '--strict', 'p.yaml'],
    files: ok,
    code: 2,
    says: ["unknown option '--strict'", 'Usage: sluice validate'],
  },
  {
    name: 'an unknown short flag',
    args: ['run', '-v', 'p.yaml'],
    files: ok,
    code: 2,
    says: ["unknown option '-v'"],
  },
  {
    name: "run with validate's --print",
    args: ['run', '--print', 'p.yaml'],
    files: ok,
    code: 2,
    says: ["unknown option '--print'", '--log-level LEVEL'],
  },
  {
    name: "validate with run's --log-level",
    args: ['validate', '--log-level', 'debug', 'p.yaml'],
    files: ok,
    code: 2,
    says: ["unknown option '--log-level'"],
  },
  {
    name: "topology with test's --tests",
    args: ['topology', '--tests', 't.yaml', 'p.yaml'],
    files: ok,
    code: 2,
    says: ["unknown option '--tests'"],
  },
  {
    name: 'a bad --log-level',
    args: ['run', '--log-level', 'loud', 'p.yaml'],
    files: ok,
    code: 2,
    says: [`--log-level: ${LEVELS}, got 'loud'`],
  },
  {
    name: 'an upper-case --log-level',
    args: ['run', '--log-level', 'DEBUG', 'p.yaml'],
    files: ok,
    code: 2,
    says: [`${LEVELS}, got 'DEBUG'`],
  },
  {
    name: 'a numeric --log-level',
    args: ['run', '--log-level=30', 'p.yaml'],
    files: ok,
    code: 2,
    says: [`${LEVELS}, got '30'`],
  },
  {
    name: '--log-level eating the file',
    args: ['run', '--log-level', 'p.yaml'],
    files: ok,
    code: 2,
    says: [`${LEVELS}, got 'p.yaml'`],
  },
  {
    name: '--log-level without a value',
    args: ['run', '--log-level'],
    code: 2,
    says: ["'--log-level <value>' argument missing"],
  },
  {
    name: '--tests without a value',
    args: ['test', 'p.yaml', '--tests'],
    files: ok,
    code: 2,
    says: ["'--tests <value>' argument missing"],
  },
  {
    name: '--print with a value',
    args: ['validate', '--print=yes', 'p.yaml'],
    files: ok,
    code: 2,
    says: ["'--print' does not take an argument"],
  },
  {
    name: 'run without a file',
    args: ['run'],
    code: 2,
    says: ['expected one pipeline file, got none'],
  },
  {
    name: 'validate without a file',
    args: ['validate'],
    code: 2,
    says: ['expected one or more pipeline files, got none'],
  },
  {
    name: 'topology without a file',
    args: ['topology'],
    code: 2,
    says: ['expected one pipeline file, got none'],
  },
  {
    name: 'test without a file',
    args: ['test'],
    code: 2,
    says: ['expected one pipeline file, got none'],
  },
  {
    name: 'two files',
    args: ['topology', 'a.yaml', 'b.yaml'],
    code: 2,
    says: ["expected one pipeline file, got 2: 'a.yaml' 'b.yaml'"],
  },
  {
    name: 'schema with a file',
    args: ['schema', 'p.yaml'],
    files: ok,
    code: 2,
    says: ["sluice schema: takes no file, got 'p.yaml'"],
  },
  {
    name: 'a missing file',
    args: ['validate', 'nope.yaml'],
    code: 2,
    says: ['nope.yaml: cannot read the file', 'ENOENT'],
  },
  {
    name: 'a directory as the file',
    args: ['validate', 'dir/'],
    files: { 'dir/': '' },
    code: 2,
    says: ['dir/: cannot read the file', 'EISDIR'],
  },
  {
    name: 'run on a missing file',
    args: ['run', 'nope.yaml'],
    code: 2,
    says: ['nope.yaml: cannot read the file'],
  },
  {
    name: 'topology on a missing file',
    args: ['topology', 'nope.yaml'],
    code: 2,
    says: ['nope.yaml: cannot read the file'],
  },
  {
    name: 'test on a missing file',
    args: ['test', 'nope.yaml'],
    code: 2,
    says: ['nope.yaml: cannot read the file'],
  },
  {
    name: 'a missing --tests file',
    args: ['test', '--tests', 'nope.yaml', 'p.yaml'],
    files: ok,
    code: 2,
    says: ['nope.yaml: cannot read the file'],
  },
];

describe('sluice refuses bad flags and arguments clearly', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, r) => {
    await expectClearFailure(r);
  });
});
