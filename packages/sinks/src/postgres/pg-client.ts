/**
 * The one file that talks to the `pg` library (an optional peer
 * dependency, loaded when a PostgreSQL sink is created): a pool of
 * connections behind the small interface the sink uses.
 */
import { loadLibrary } from '../internal/load-library.ts';

/** A connection taken from the pool, for one batch's transaction. */
export interface PgConnection {
  query(text: string, values?: readonly unknown[]): Promise<unknown>;
  /** Returns it to the pool; with an error, the pool drops it. */
  release(error?: Error): void;
}

/** A pool of connections. */
export interface PgPool {
  connect(): Promise<PgConnection>;
  end(): Promise<void>;
}

interface PgLibrary {
  Pool: new (config: Record<string, unknown>) => PgPool & {
    on(event: 'error', listener: (error: Error) => void): void;
  };
}

/** The version range of `pg` the sink is tested with. */
export const PG_RANGE = '^8.16.0';

/** A `pg` pool of at most `max` connections to `url`. */
export function createPgPool(options: {
  url: string;
  max: number;
  connectionTimeout: number;
}): PgPool {
  const pg = loadLibrary<PgLibrary>('pg', PG_RANGE, 'PostgreSQL');
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: options.connectionTimeout,
    application_name: 'sluice-sink',
  });
  // An idle connection that breaks is dropped by the pool; the next batch
  // takes a new one. Without a listener the error would end the process.
  pool.on('error', () => {});
  return pool;
}
