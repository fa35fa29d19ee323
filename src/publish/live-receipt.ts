import type { GitHub } from '../github/github.js';
import type { Clock, Log } from '../ports.js';
import { renderWorkingReceipt, type WorkingProgress } from '../render/receipt.js';
import { bestEffort } from '../util/best-effort.js';
import { editOrCreate } from './receipt-comment.js';

/** GitHub's secondary limits punish bursts of content writes: one update per interval at most. */
export const PROGRESS_INTERVAL_MS = 15_000;

/**
 * The receipt while the loop runs: created (or taken over) when work starts, then edited in place as the budget
 * drains, never more often than once per interval and never two writes in flight. Writes never block the loop and
 * a failed write only costs a log line.
 */
export class LiveReceipt {
  private id: number | undefined;
  private lastWrite = -Infinity;
  private inFlight: Promise<void> = Promise.resolve();
  private pending: WorkingProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  writes = 0;

  constructor(
    private readonly github: GitHub,
    private readonly issue: number,
    knownId: number | undefined,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly redact: (s: string) => string,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {
    this.id = knownId;
  }

  /** Post the "working…" receipt now; later updates and the final receipt wait for it. */
  start(progress: WorkingProgress): Promise<void> {
    this.inFlight = this.write(progress);
    return this.inFlight;
  }

  /** Show new progress: written now if the interval has passed, else once it has (latest progress wins). */
  update(progress: WorkingProgress): void {
    this.pending = progress;
    if (this.timer) return;
    const wait = Math.max(0, this.lastWrite + this.intervalMs - this.clock.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const p = this.pending;
      this.pending = undefined;
      if (p) this.inFlight = this.inFlight.then(() => this.write(p));
    }, wait);
    this.timer.unref?.();
  }

  /** Replace the working receipt with the final one. Returns the comment URL. */
  async finish(body: string): Promise<string | undefined> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.inFlight;
    const comment = await editOrCreate(this.github, this.issue, this.id, body);
    this.id = comment.id;
    this.writes++;
    return comment.url;
  }

  private async write(progress: WorkingProgress): Promise<void> {
    this.lastWrite = this.clock.now();
    const body = this.redact(renderWorkingReceipt(progress));
    await bestEffort(this.log, 'The live receipt could not be updated', async () => {
      const comment = await editOrCreate(this.github, this.issue, this.id, body);
      this.id = comment.id;
      this.writes++;
    });
  }
}
