/**
 * How a member names itself to its consumer group: static membership
 * (`groupInstanceId`) and which group protocol it speaks.
 */

/**
 * The group protocols: `'consumer'` is KIP-848 (the broker assigns, and a
 * rebalance moves only the partitions that change owner), `'classic'` is
 * JoinGroup/SyncGroup, `'auto'` the first where the broker offers it.
 */
export type KafkaGroupProtocol = 'auto' | 'classic' | 'consumer';

/**
 * The default `groupInstanceId`: the pod's name inside a Kubernetes pod
 * (`KUBERNETES_SERVICE_HOST` and `HOSTNAME` both set, as the kubelet does),
 * so a restarted pod of a StatefulSet rejoins as the same member without a
 * rebalance; none elsewhere, where a host name says nothing about identity.
 */
export function podInstanceId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.HOSTNAME?.trim();
  if (!env.KUBERNETES_SERVICE_HOST || !host) return undefined;
  return host;
}

/**
 * The instance id of producer instance `index`: `id` itself for the first,
 * `id-index` for the others (every member of a group needs its own).
 */
export function memberInstanceId(id: string | undefined, index: number): string | undefined {
  if (id === undefined) return undefined;
  return index === 0 ? id : `${id}-${index}`;
}

/**
 * Whether a broker that offers ConsumerGroupHeartbeat up to `maxVersion`
 * runs the KIP-848 protocol: version 1 came with its general availability
 * in Kafka 4.0; 3.7–3.9 offer only the preview's version 0, off by default.
 */
export function brokerHasConsumerProtocol(maxVersion: number | undefined): boolean {
  return maxVersion !== undefined && maxVersion >= 1;
}
