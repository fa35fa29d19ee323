import path from 'node:path';
import { capText, plainTerminalText } from './output-cap.js';
import { OUTPUT_STOP_BYTES, type Shell } from './shell.js';
import { ToolError } from './workspace-path.js';

export interface BashResult {
  text: string;
  isError: boolean;
  exitCode: number | null;
  outputBytes: number;
}

/** Bytes of a result kept for taskcap's own notes (timeout, exit code, flood). */
const NOTE_ROOM_BYTES = 320;
const MIN_BODY_BYTES = 200;

/** A reported directory carries over only when it is an absolute path inside the workspace (`..foo` is inside). */
function isInside(root: string, dir: string): boolean {
  if (!path.isAbsolute(dir) || dir.includes('\0')) return false;
  const rel = path.relative(root, dir);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
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
      // Room is kept for taskcap's notes, so capping the whole result never cuts the "bytes omitted" marker.
      maxOutputBytes: Math.max(MIN_BODY_BYTES, capBytes - NOTE_ROOM_BYTES),
      signal,
    });
    // Only a directory inside the workspace carries over; anything else starts the next command at the root.
    if (result.cwd) this.cwd = isInside(this.root, result.cwd) ? result.cwd : this.root;

    const notes: string[] = [];
    if (result.timedOut) {
      notes.push(`[taskcap: stopped after ${Math.round(timeoutMs / 1000)} s; the command and everything it started were killed. Use shorter or bounded commands.]`);
    } else if (result.aborted) notes.push('[taskcap: the run was stopped while this command was running; it was killed.]');
    else if (result.flooded) {
      notes.push(
        `[taskcap: the command wrote more than ${OUTPUT_STOP_BYTES / 1024 / 1024} MB of output and was stopped; everything it started was killed. Redirect output to a file or narrow the command.]`,
      );
    } else if (result.exitCode !== 0) notes.push(`[exit code ${result.exitCode ?? 'unknown'}]`);
    if (result.contained === false) {
      notes.push('[taskcap: the command killed the process that holds what it starts; processes it started may have survived. This is reported on the receipt.]');
    }
    const output = plainTerminalText(result.output);
    const body = output.trim() === '' ? '(no output)' : output.replace(/\n+$/, '');
    const noteText = notes.length ? `\n${notes.join('\n')}` : '';
    const text = capText(capText(body, Math.max(MIN_BODY_BYTES, capBytes - Buffer.byteLength(noteText))) + noteText, capBytes);
    return { text, isError: result.timedOut || result.aborted || result.flooded === true, exitCode: result.exitCode, outputBytes: result.totalBytes };
  }
}
