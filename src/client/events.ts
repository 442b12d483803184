/**
 * Event emission that a throwing listener cannot break.
 * @packageDocumentation
 */
import type { EventEmitter } from 'node:events';

/**
 * Call every listener of `event`, each in its own try/catch; a listener that throws or rejects is
 * reported through `onListenerError` and the others still run. Returns whether anyone listened.
 */
export function safeEmit(
  emitter: EventEmitter, event: string, args: unknown[], onListenerError: (err: unknown) => void,
): boolean {
  const listeners = emitter.rawListeners(event) as Array<(...a: unknown[]) => unknown>;
  if (listeners.length === 0) return false;
  for (const l of listeners) {
    try {
      const r = l.apply(emitter, args);
      if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(undefined, onListenerError);
      }
    } catch (e) {
      onListenerError(e);
    }
  }
  return true;
}

/** Last resort for an error nobody listens for: a process warning, never an uncaught throw. */
export function warn(err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  process.emitWarning(e.message, { type: 'AMQPWireWarning', detail: e.stack ?? '' });
}
