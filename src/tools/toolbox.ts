import type { BashTool } from './bash.js';
import type { Editor } from './editor.js';
import { ToolError } from './workspace-path.js';
import { errorMessage } from '../util/errors.js';

/** What the model may call: exactly Anthropic's two client tools. Byte-stable across requests (cache prefix). */
export const BASH_TOOL = { type: 'bash_20250124', name: 'bash' } as const;
export const EDITOR_TOOL_NAME = 'str_replace_based_edit_tool';
/**
 * Bytes a tool result may take when the budget is not tight (~2.5k tokens of code). Results shrink below this as
 * the budget drains. The editor announces the same limit to the model as its `max_characters`.
 */
export const TOOL_RESULT_BYTES = 10_000;
export const EDITOR_TOOL = { type: 'text_editor_20250728', name: EDITOR_TOOL_NAME, max_characters: TOOL_RESULT_BYTES } as const;
export const TOOL_DEFINITIONS = [BASH_TOOL, EDITOR_TOOL] as const;

export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** One executed tool call: what goes back to the model plus what the run record keeps (never the content). */
export interface ToolOutcome {
  text: string;
  isError: boolean;
  name: string;
  /** A short human label for progress lines: "running `npm test`", "editing src/x.ts". */
  step: string;
  changedFiles: boolean;
  durationMs: number;
  resultBytes: number;
}

const oneLine = (s: string, max = 60) => {
  const line = s.split('\n')[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** Runs the model's tool calls; every result is redacted and capped before the model sees it. */
export class Toolbox {
  constructor(
    private readonly bash: BashTool,
    private readonly editor: Editor,
    private readonly redact: (text: string) => string,
    private readonly now: () => number,
  ) {}

  async run(call: ToolCall, capBytes: number, timeLeftMs: number, signal?: AbortSignal): Promise<ToolOutcome> {
    const started = this.now();
    const input = (call.input && typeof call.input === 'object' ? call.input : {}) as Record<string, unknown>;
    let text: string;
    let isError = false;
    let changedFiles = false;
    let step: string = call.name;
    try {
      if (call.name === BASH_TOOL.name) {
        step = input.restart === true ? 'restarting the shell' : `running \`${oneLine(String(input.command ?? ''))}\``;
        const r = await this.bash.run(input, capBytes, timeLeftMs, signal);
        text = r.text;
        isError = r.isError;
        changedFiles = true; // a command can change anything; the final diff tells
      } else if (call.name === EDITOR_TOOL_NAME) {
        const verb = input.command === 'view' ? 'reading' : 'editing';
        step = `${verb} ${oneLine(String(input.path ?? ''))}`;
        const r = this.editor.run(input, capBytes);
        text = r.text;
        changedFiles = r.changed;
      } else {
        throw new ToolError(`Unknown tool ${JSON.stringify(call.name)}; the tools are bash and ${EDITOR_TOOL_NAME}.`);
      }
    } catch (e) {
      // Tool failures are answers for the model, never crashes of the run.
      text = e instanceof ToolError ? `Error: ${e.message}` : `Error: the tool failed: ${errorMessage(e)}`;
      isError = true;
    }
    text = this.redact(text);
    return {
      text,
      isError,
      name: call.name,
      step,
      changedFiles,
      durationMs: this.now() - started,
      resultBytes: Buffer.byteLength(text, 'utf8'),
    };
  }
}
