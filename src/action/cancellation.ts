import type { Log } from '../ports.js';

/**
 * The run's cancellation: a cancelled workflow sends SIGINT, then SIGTERM 7.5 s later. The loop stops and the work
 * done so far is delivered. The entry module wires process signals to `cancel`; the in-process tests call it.
 */
export function cancellation(log: Pick<Log, 'warn'>): { signal: AbortSignal; cancel(why: string): void } {
  const controller = new AbortController();
  return {
    signal: controller.signal,
    cancel(why) {
      if (!controller.signal.aborted) log.warn(`Received ${why}: stopping the loop and delivering the work done so far.`);
      controller.abort();
    },
  };
}
