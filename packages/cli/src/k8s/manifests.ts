/**
 * `sluice k8s`'s manifests, as plain objects: a Deployment running
 * `sluice run <file> --admin-port N` with its probes on the admin server,
 * and a KEDA ScaledObject on the broker's backlog. Pure: the command
 * prints them as YAML.
 */
import { basename } from 'node:path';
import type { PipelineConfig } from '../config/schema.ts';
import { backlogPerReplica, kedaTrigger, type EnvOf } from './scalers.ts';

/** What `sluice k8s` takes besides the file. */
export interface ManifestOptions {
  readonly image: string;
  readonly namespace?: string | undefined;
  /** Replicas of the Deployment, and KEDA's lower bound unless `minReplicas` is given. */
  readonly replicas: number;
  readonly minReplicas?: number | undefined;
  readonly maxReplicas: number;
  readonly adminPort: number;
  /** Backlog per replica; default {@link backlogPerReplica}. */
  readonly threshold?: number | undefined;
  /** The folder the pipeline file is in, inside the image. */
  readonly workdir: string;
  readonly natsMonitoring?: string | undefined;
}

/**
 * Seconds Kubernetes waits after SIGTERM beyond the worst case `sluice run`
 * can take (the drain, then teardown, each bounded by `shutdownTimeout`):
 * room for the final telemetry flush and the process exit, and for the
 * endpoint removal racing the signal.
 */
export const GRACE_MARGIN_SECONDS = 10;

/** `terminationGracePeriodSeconds` for a pipeline: 2 × shutdownTimeout + the margin. */
export function gracePeriodSeconds(shutdownTimeoutMs: number): number {
  return Math.ceil((2 * shutdownTimeoutMs) / 1000) + GRACE_MARGIN_SECONDS;
}

/** The variables the pipeline file reads (`${VAR}` and `${VAR:-default}`), with whether it has a default. */
export function fileVariables(text: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-[^}]*)?\}/g)) {
    const name = m[1] as string;
    out.set(name, (out.get(name) ?? false) || m[2] !== undefined);
  }
  return out;
}

/** A Kubernetes name from the pipeline's: lower case, `-` for anything else. */
export function k8sName(name: string): string {
  const n = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (n === '' ? 'sluice' : n).slice(0, 63);
}

/** The Deployment and the ScaledObject, in that order. */
export function kubernetesManifests(
  file: string,
  text: string,
  config: PipelineConfig,
  envOf: EnvOf,
  o: ManifestOptions,
): object[] {
  const name = k8sName(config.name);
  const secret = `${name}-env`;
  const threshold = o.threshold ?? backlogPerReplica(config);
  const trigger = kedaTrigger(config, envOf, {
    threshold,
    natsMonitoring: o.natsMonitoring,
  });
  const variables = fileVariables(text);
  for (const v of trigger.env) if (!variables.has(v)) variables.set(v, false);
  const metadata = {
    name,
    ...(o.namespace !== undefined && { namespace: o.namespace }),
    labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'sluice' },
  };
  const port = o.adminPort;
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': name } },
        spec: {
          terminationGracePeriodSeconds: gracePeriodSeconds(config.shutdownTimeout),
          containers: [
            {
              name: 'pipeline',
              image: o.image,
              workingDir: o.workdir,
              command: ['sluice', 'run', basename(file), '--admin-port', String(port)],
              ports: [{ name: 'admin', containerPort: port }],
              env: [
                // The probes reach the pod's own IP: the admin server must bind it, with a token.
                { name: 'SLUICE_ADMIN_HOST', value: '0.0.0.0' },
                {
                  name: 'SLUICE_ADMIN_TOKEN',
                  valueFrom: { secretKeyRef: { name: secret, key: 'SLUICE_ADMIN_TOKEN' } },
                },
                ...[...variables].map(([v, hasDefault]) => ({
                  name: v,
                  valueFrom: {
                    secretKeyRef: { name: secret, key: v, ...(hasDefault && { optional: true }) },
                  },
                })),
              ],
              livenessProbe: {
                httpGet: { path: '/livez', port: 'admin' },
                periodSeconds: 10,
                failureThreshold: 3,
              },
              readinessProbe: {
                httpGet: { path: '/readyz', port: 'admin' },
                periodSeconds: 5,
                failureThreshold: 2,
              },
            },
          ],
        },
      },
    },
  };
  const scaledObject = {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: {
      ...metadata,
      annotations: {
        // The Prometheus gauge the same backlog shows up in (docs/prometheus.md).
        'sluice.dev/backlog-metric': `sluice_backlog{pipeline="${config.name}",broker="${trigger.broker}",destination="${trigger.destination}"}`,
      },
    },
    spec: {
      scaleTargetRef: { name },
      minReplicaCount: o.minReplicas ?? o.replicas,
      maxReplicaCount: o.maxReplicas,
      // KEDA's cool-down before scaling to the minimum; a drain must fit in it.
      cooldownPeriod: Math.max(300, gracePeriodSeconds(config.shutdownTimeout)),
      triggers: [{ type: trigger.type, name: 'backlog', metadata: trigger.metadata }],
    },
  };
  return [deployment, scaledObject];
}
