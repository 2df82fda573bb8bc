/**
 * Where the test Redis is: `REDIS_URL`, with a loopback default that
 * matches docker-compose.yml. For fixtures and broker probes only: the
 * producer itself has no loopback default.
 */

/** Default of `REDIS_URL` for tests and fixtures: Redis on loopback. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** `REDIS_URL` from `env`, or {@link DEFAULT_REDIS_URL} when unset or blank. */
export function redisUrlFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const value = env['REDIS_URL']?.trim();
  return value === undefined || value === '' ? DEFAULT_REDIS_URL : value;
}
