import path from 'node:path';
import { capText, plainTerminalText } from './output-cap.js';
import type { Shell } from './shell.js';
import { ToolError } from './workspace-path.js';

export interface BashResult {
  text: string;
  isError: boolean;
  exitCode: number | null;
  outputBytes: number;
}

/** Anthropic's bash client tool (`bash_20250124`), one command at a time, in the workspace. */
export class BashTool {
  private cwd: string;

  constructor(
    private readonly shell: Shell,
    private readonly root: string,
    private readonly env: Record<string, string>,
    private readonly commandTimeoutMs: number,
  ) {
    this.cwd = root;
  }

  async run(input: Record<string, unknown>, capBytes: number, timeLeftMs: number, signal?: AbortSignal): Promise<BashResult> {
    if (input.restart === true) {
      this.cwd = this.root;
      return { text: 'The shell was restarted; the working directory is the repository root again.', isError: false, exitCode: 0, outputBytes: 0 };
    }
    if (typeof input.command !== 'string' || input.command.trim() === '') throw new ToolError('`command` must be a non-empty string.');
    const timeoutMs = Math.max(1000, Math.min(this.commandTimeoutMs, timeLeftMs));
    const result = await this.shell.run({
      command: input.command,
      cwd: this.cwd,
      root: this.root,
      env: this.env,
      timeoutMs,
      maxOutputBytes: capBytes,
      signal,
    });
    // Only a directory inside the workspace carries over; anything else starts the next command at the root.
    if (result.cwd && path.isAbsolute(result.cwd) && !path.relative(this.root, result.cwd).startsWith('..')) this.cwd = result.cwd;
    else if (result.cwd) this.cwd = this.root;

    const notes: string[] = [];
    if (result.timedOut) {
      notes.push(`[taskcap: stopped after ${Math.round(timeoutMs / 1000)} s; the command and everything it started were killed. Use shorter or bounded commands.]`);
    } else if (result.aborted) notes.push('[taskcap: the run was stopped while this command was running; it was killed.]');
    else if (result.exitCode !== 0) notes.push(`[exit code ${result.exitCode ?? 'unknown'}]`);
    const output = plainTerminalText(result.output);
    const body = output.trim() === '' ? '(no output)' : output.replace(/\n+$/, '');
    const text = capText([body, ...notes].join('\n'), capBytes);
    return { text, isError: result.timedOut || result.aborted, exitCode: result.exitCode, outputBytes: result.totalBytes };
  }
}
