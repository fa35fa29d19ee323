import type { Log } from '../ports.js';
import { errorMessage } from './errors.js';

/**
 * Run a step whose failure must not fail the run (a reaction, a comment, a ledger line). A failure becomes one
 * warning, `<failed>: <message>`, the message passed through `redact`.
 */
export async function bestEffort(log: Pick<Log, 'warn'>, failed: string, work: () => Promise<unknown>, redact: (s: string) => string = (s) => s): Promise<void> {
  try {
    await work();
  } catch (e) {
    log.warn(`${failed}: ${redact(errorMessage(e))}`);
  }
}
