/**
 * `sluice dry-run <file>`: validates the file, then connects to its
 * source and to every sink and reports, one line each, what it could
 * reach. It starts no pipeline: nothing is consumed, acked or written.
 * Exit 0 when everything answered, 1 when something did not, 2 when the
 * file is invalid.
 */
import { loadConfig } from '../config/load.ts';
import { sinkProbes, sourceProbe, type Probe } from './dry-run-probes.ts';
import { reportInvalid } from './report.ts';

/** How long one probe may take before it counts as unreachable. */
const PROBE_TIMEOUT_MS = 15_000;

export async function dryRun(
  file: string,
  options: { readonly timeoutMs?: number } = {},
): Promise<number> {
  let config;
  try {
    config = loadConfig(file).config;
  } catch (error) {
    return reportInvalid(file, error);
  }
  const probes = [sourceProbe(config.producer), ...sinkProbes(config)];
  const results = await Promise.all(
    probes.map((probe) => attempt(probe, options.timeoutMs ?? PROBE_TIMEOUT_MS)),
  );
  console.log(`${file}: dry run, nothing consumed or written`);
  for (const line of results) console.log(line.text);
  const failed = results.filter((r) => !r.ok).length;
  console.log(
    failed === 0
      ? `every source and sink answered (${results.length})`
      : `${failed} of ${results.length} could not be reached`,
  );
  return failed === 0 ? 0 : 1;
}

async function attempt(probe: Probe, timeoutMs: number): Promise<{ ok: boolean; text: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const reached = await Promise.race([probe.run(), timeout]);
    return {
      ok: true,
      text:
        reached === undefined
          ? `  - ${probe.label}: nothing to reach`
          : `  ok ${probe.label}: ${reached}`,
    };
  } catch (error) {
    return { ok: false, text: `  FAIL ${probe.label}: ${describe(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { message?: string } };
  return e.message ?? String(error);
}
