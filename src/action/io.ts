import type { Log } from '../ports.js';

/**
 * What the action needs from the runner: its inputs, outputs, the step's failure, the job summary and the log.
 * The real one speaks the runner's workflow commands through @actions/core (core-io.ts); the in-process test tier
 * passes one that writes the same files in memory, so the whole run is tested without a child process.
 */
export interface ActionIO {
  /** An input as the runner passes it (`INPUT_<NAME>`), trimmed; '' when not set. */
  getInput(name: string): string;
  /** Mask a value in every later log line. */
  setSecret(secret: string): void;
  setOutput(name: string, value: string): void;
  /** Fail the step with this message (the job continues to later `if: always()` steps). */
  setFailed(message: string): void;
  /** Append markdown to the job summary (nothing when the runner gave no summary file). */
  appendSummary(markdown: string): Promise<void>;
  /** Upload a file as a workflow artifact. */
  uploadArtifact(name: string, file: string): Promise<void>;
  log: Log;
}

/**
 * A log line may carry text from outside (titles, paths, a model's summary): it must never be read as a workflow
 * command, in the current `::cmd::` form at a line start or the legacy `##[cmd]` form anywhere.
 */
export const inert = (m: string): string => m.replace(/^(\s*)::/gm, '$1:\u200b:').replace(/##\[/g, '#\u200b#[');
