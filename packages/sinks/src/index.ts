/**
 * `@sluice/sinks`: the sink contract and its helpers. Each sink is its own
 * subpath (`@sluice/sinks/postgres`, `@sluice/sinks/http`), so an app loads
 * only the client libraries of the services it writes to.
 */
export {
  failedWith,
  sinkHandler,
  writeBatch,
  WRITTEN,
  type Sink,
  type SinkOutcome,
} from './sink.ts';
export { SinkError, type SinkErrorCode } from './errors.ts';
export { limit, type Limit } from './internal/limit.ts';
export { sinkWriter, type SinkWriter, type SinkWriterOptions } from './writer.ts';
