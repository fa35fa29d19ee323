import type { RunResult } from '../run/run-taskcap.js';
import type { Status } from '../vocabulary.js';

/** What a fan-out mode hands back to the action: its outputs and summary, or (a shard) a run to publish like `run`'s. */
export interface FanoutModeResult {
  status: Status;
  reason?: string;
  outputs: Record<string, string>;
  summary?: string;
  /** A shard's task run: its outputs and run record are published as a `run` mode's are. */
  run?: RunResult;
  /** The step fails with this (only when the work could not be recorded: handled failures keep siblings and collect going). */
  failure?: string;
}
