/**
 * `sluice dlq list|show|replay|purge <file>`: the dead letters of a
 * pipeline's broker (SQS, Kafka, RabbitMQ), through one adapter per broker
 * (../dlq/).
 */
import { loadConfig } from '../config/load.ts';
import { DlqConfigError, openDlq, type DeadLetter, type DlqAdapter } from '../dlq/index.ts';
import { reportInvalid } from './report.ts';

/** The command's flags, for parseArgs. */
export const DLQ_OPTIONS = {
  dlq: { type: 'string' },
  group: { type: 'string' },
  filter: { type: 'string', multiple: true },
  limit: { type: 'string' },
  rate: { type: 'string' },
  yes: { type: 'boolean' },
  'env-file': { type: 'string', multiple: true },
} as const;

const ACTIONS = ['list', 'show', 'replay', 'purge'] as const;
type Action = (typeof ACTIONS)[number];

/** A flag or argument the command cannot use. */
class UsageError extends Error {}

/**
 * `--filter reason=TEXT` (the reason contains TEXT), `key=K`, `id=ID`
 * (equal); every filter given must match.
 */
export function parseFilters(filters: readonly string[]): (d: DeadLetter) => boolean {
  const tests = filters.map((f) => {
    const m = /^(reason|key|id)=(.*)$/s.exec(f);
    if (m === null) {
      throw new UsageError(`--filter: expected reason=TEXT, key=KEY or id=ID, got '${f}'`);
    }
    const value = m[2] as string;
    switch (m[1]) {
      case 'reason':
        return (d: DeadLetter) => d.reason.includes(value);
      case 'key':
        return (d: DeadLetter) => d.key === value;
      default:
        return (d: DeadLetter) => d.id === value;
    }
  });
  return (d) => tests.every((t) => t(d));
}

function positive(flag: string, raw: unknown, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${flag}: expected a ${integer ? 'whole ' : ''}number above 0, got '${raw as string}'`,
    );
  }
  return n;
}

/** One line per message: id, attempts, reason, key, the body cut at 200 characters. */
function describe(d: DeadLetter): string {
  const body = d.body.length > 200 ? `${d.body.slice(0, 199)}…` : d.body;
  return [
    `id: ${d.id}${d.key !== undefined ? `  key: ${d.key}` : ''}  attempts: ${d.attempts ?? 'unknown'}  source: ${d.source}`,
    `  reason: ${d.reason}`,
    `  body: ${body}`,
  ].join('\n');
}

async function act(
  action: Action,
  adapter: DlqAdapter,
  values: Readonly<Record<string, unknown>>,
): Promise<number> {
  const filters = (values['filter'] as string[] | undefined) ?? [];
  const match = parseFilters(filters);
  const limit = positive('limit', values['limit'], true);
  switch (action) {
    case 'list': {
      const count = await adapter.count();
      const letters = (await adapter.peek(limit ?? 1000)).filter(match);
      const byReason = new Map<string, number>();
      for (const d of letters) byReason.set(d.reason, (byReason.get(d.reason) ?? 0) + 1);
      console.log(`${adapter.description}: ${count} message${count === 1 ? '' : 's'}`);
      const sorted = [...byReason].sort((a, b) => b[1] - a[1]);
      if (sorted.length > 0) {
        console.log(
          `by reason (of ${letters.length} read${filters.length > 0 ? ', filtered' : ''}):`,
        );
      }
      for (const [reason, n] of sorted.slice(0, 20)) {
        console.log(`  ${String(n).padStart(6)}  ${reason}`);
      }
      if (sorted.length > 20) console.log(`  … and ${sorted.length - 20} more reasons`);
      return 0;
    }
    case 'show': {
      const letters = (await adapter.peek(limit ?? 100)).filter(match);
      for (const d of letters) console.log(describe(d));
      console.log(`${letters.length} shown from ${adapter.description}`);
      return 0;
    }
    case 'replay': {
      const rate = positive('rate', values['rate'], false);
      const result = await adapter.replay({
        match,
        limit: limit ?? Number.POSITIVE_INFINITY,
        rate,
        onReplayed: (d) => console.log(`replayed ${d.id} to ${d.source}`),
      });
      console.log(
        `${result.replayed} replayed from ${adapter.description}; ${result.kept} left there`,
      );
      if (result.note !== undefined) console.log(result.note);
      return 0;
    }
    case 'purge': {
      if (values['yes'] !== true) {
        throw new UsageError(
          `purge deletes every message of ${adapter.description} for good: add --yes`,
        );
      }
      const n = await adapter.purge();
      console.log(`purged ${n} message${n === 1 ? '' : 's'} from ${adapter.description}`);
      return 0;
    }
  }
}

/** Runs `sluice dlq <action> <file>`; returns the exit code (2: usage or file, 1: broker). */
export async function dlq(
  positionals: readonly string[],
  values: Readonly<Record<string, unknown>>,
  usage: string,
): Promise<number> {
  const [action, file, ...extra] = positionals;
  if (!ACTIONS.includes(action as Action) || file === undefined || extra.length > 0) {
    console.error(
      `sluice dlq: expected an action (${ACTIONS.join(', ')}) and one pipeline file, got ${positionals.length === 0 ? 'none' : positionals.map((p) => `'${p}'`).join(' ')}\n\n${usage}`,
    );
    return 2;
  }
  let config;
  try {
    config = loadConfig(file).config;
  } catch (error) {
    return reportInvalid(file, error);
  }
  let adapter: DlqAdapter | undefined;
  try {
    adapter = await openDlq(config, {
      dlq: values['dlq'] as string | undefined,
      group: values['group'] as string | undefined,
    });
    return await act(action as Action, adapter, values);
  } catch (error) {
    if (error instanceof UsageError || error instanceof DlqConfigError) {
      console.error(`sluice dlq ${action}: ${error.message}`);
      return 2;
    }
    console.error(`sluice dlq ${action}: ${(error as Error).message}`);
    return 1;
  } finally {
    await adapter?.close();
  }
}
