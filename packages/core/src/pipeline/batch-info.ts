/** What `handleBatch` is told about the batch it receives. */
export interface BatchInfo {
  /** The batcher's name. */
  readonly batcher: string;
  /** The batch key its messages share. */
  readonly batchKey: unknown;
  /** The partition, when the batcher has `partitionBy`; otherwise undefined. */
  readonly partition: number | undefined;
  /** How many messages it holds. */
  readonly size: number;
  /**
   * Why it was emitted: it reached `batchSize` (`'size'`), its
   * `batchTimeout` elapsed (`'timeout'`), or a message in `flush` mode or
   * draining flushed it (`'flush'`).
   */
  readonly trigger: 'size' | 'timeout' | 'flush';
}
