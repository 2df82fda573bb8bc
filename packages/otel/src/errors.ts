/** `error.type` for a thrown value or a failed message: low-cardinality, never the message text. */
import type { Message } from '@sluice/core';
import { OTHER_ERROR } from './semconv.ts';

/** The class name of an error (`TypeError`, `SluiceError`), its `code` if it has one, else `_OTHER`. */
export function errorType(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return OTHER_ERROR;
}

/** `error.type` of a message whose status is not ok, or undefined when it is ok. */
export function messageErrorType(message: Message): string | undefined {
  const status = message.status;
  switch (status.kind) {
    case 'ok':
      return undefined;
    case 'error':
      return errorType(status.error);
    case 'failed':
      return status.reason instanceof Error ? errorType(status.reason) : OTHER_ERROR;
  }
}
