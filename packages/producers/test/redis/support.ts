/** Helpers the Redis producer's tests share (one definition, with the other producers' tests). */
export { DropProxy, memoryLogger, waitFor, type LogLine } from '../shared-support.ts';
