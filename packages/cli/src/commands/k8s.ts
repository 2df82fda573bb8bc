/** `sluice k8s <file>`: a Deployment and a KEDA ScaledObject for the pipeline, as YAML. */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { loadConfig } from '../config/load.ts';
import { k8sName, kubernetesManifests, type ManifestOptions } from '../k8s/manifests.ts';
import { NoScalerError } from '../k8s/scalers.ts';
import { reportInvalid } from './report.ts';

/** The command's flags, for parseArgs. */
export const K8S_OPTIONS = {
  image: { type: 'string' },
  namespace: { type: 'string' },
  replicas: { type: 'string' },
  'min-replicas': { type: 'string' },
  'max-replicas': { type: 'string' },
  'admin-port': { type: 'string' },
  threshold: { type: 'string' },
  workdir: { type: 'string' },
  'nats-monitoring': { type: 'string' },
  'env-file': { type: 'string', multiple: true },
} as const;

/** The flags as parseArgs gives them. */
export type K8sFlags = Readonly<Record<string, unknown>>;

const str = (flags: K8sFlags, name: keyof typeof K8S_OPTIONS): string | undefined =>
  typeof flags[name] === 'string' ? flags[name] : undefined;

/** A whole number in [min, max] from a flag, or a problem naming the flag and the value. */
function whole(flag: string, raw: string | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FlagError(`--${flag}: expected a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return n;
}

/** A flag with a value the command cannot use. */
export class FlagError extends Error {}

/** The manifest options from the flags; throws a {@link FlagError}. */
export function manifestOptions(flags: K8sFlags, pipelineName: string): ManifestOptions {
  const replicas = whole('replicas', str(flags, 'replicas'), 1, 0, 10_000);
  const minReplicas =
    str(flags, 'min-replicas') === undefined
      ? undefined
      : whole('min-replicas', str(flags, 'min-replicas'), 0, 0, 10_000);
  const maxReplicas = whole('max-replicas', str(flags, 'max-replicas'), 10, 1, 10_000);
  if (maxReplicas < (minReplicas ?? replicas)) {
    throw new FlagError(
      `--max-replicas: expected at least the minimum (${minReplicas ?? replicas}), got ${maxReplicas}`,
    );
  }
  const namespace = str(flags, 'namespace');
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    throw new FlagError(
      `--namespace: expected a Kubernetes name (lower case letters, digits, -), got '${namespace}'`,
    );
  }
  return {
    image: str(flags, 'image') ?? `${k8sName(pipelineName)}:latest`,
    namespace,
    replicas,
    minReplicas,
    maxReplicas,
    adminPort: whole('admin-port', str(flags, 'admin-port'), 9465, 1, 65535),
    threshold:
      str(flags, 'threshold') === undefined
        ? undefined
        : whole('threshold', str(flags, 'threshold'), 1, 1, 100_000_000),
    workdir: str(flags, 'workdir') ?? '/app',
    natsMonitoring: str(flags, 'nats-monitoring'),
  };
}

/** Prints the manifests for `file`; returns the exit code (2: invalid file or flag). */
export function k8s(file: string, flags: K8sFlags): number {
  try {
    const loaded = loadConfig(file);
    const options = manifestOptions(flags, loaded.config.name);
    const envOf = (path: readonly (string | number)[]): string | undefined => {
      const from = loaded.sources(path);
      const value = path.reduce<unknown>(
        (o, k) => (o as Record<string | number, unknown> | undefined)?.[k],
        loaded.input,
      );
      const only = from?.length === 1 ? from[0] : undefined;
      return only !== undefined && only.value === value ? only.name : undefined;
    };
    const docs = kubernetesManifests(
      file,
      readFileSync(file, 'utf8'),
      loaded.config,
      envOf,
      options,
    );
    process.stdout.write(docs.map((d) => stringify(d)).join('---\n'));
    return 0;
  } catch (error) {
    if (error instanceof FlagError) {
      console.error(`sluice k8s: ${error.message}`);
      return 2;
    }
    if (error instanceof NoScalerError) {
      console.error(`${file}: ${error.message}`);
      return 2;
    }
    return reportInvalid(file, error);
  }
}
