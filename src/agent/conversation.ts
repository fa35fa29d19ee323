import type {
  BetaContentBlock,
  BetaContentBlockParam,
  BetaMessage,
  BetaMessageParam,
  BetaToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { closingNote, notRunResult } from '../budget/wind-down.js';
import type { ToolCall } from '../tools/toolbox.js';
import type { ClosingCause } from '../vocabulary.js';
import { contextBlock } from './request-params.js';

/** The user turn about to be sent, and its texts new to the model (for the conservative size estimate). */
interface PendingTurn {
  content: BetaContentBlockParam[];
  texts: string[];
}

/** A tool call's answer, in call order. */
export interface ToolAnswer {
  id: string;
  text: string;
  isError: boolean;
}

const toolResult = (a: ToolAnswer): BetaToolResultBlockParam => ({
  type: 'tool_result',
  tool_use_id: a.id,
  content: a.text,
  ...(a.isError ? { is_error: true } : {}),
});

/** Response blocks as request params: the assistant turn goes back verbatim (thinking signatures included). */
function asParams(content: BetaContentBlock[]): BetaContentBlockParam[] {
  return content.map((b): BetaContentBlockParam => {
    switch (b.type) {
      case 'text':
        return { type: 'text', text: b.text };
      case 'thinking':
        return { type: 'thinking', thinking: b.thinking, signature: b.signature };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: b.data };
      case 'tool_use':
        return { type: 'tool_use', id: b.id, name: b.name, input: b.input ?? {} };
      default:
        return b as unknown as BetaContentBlockParam;
    }
  });
}

/** The model's text in a response (its summary when it is the last one). */
export const textOf = (m: BetaMessage): string | undefined =>
  m.content
    .filter((b): b is Extract<BetaContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim() || undefined;

export const toolCallsOf = (m: BetaMessage): ToolCall[] =>
  m.content
    .filter((b): b is Extract<BetaContentBlock, { type: 'tool_use' }> => b.type === 'tool_use')
    .map((b) => ({ id: b.id, name: b.name, input: b.input }));

/**
 * The messages of one run: the history the API has seen, plus the user turn waiting to be sent. The history only
 * grows (a prefix that never changes is what the cache re-reads); everything new goes into the pending turn.
 */
export class Conversation {
  private readonly history: BetaMessageParam[] = [];
  private pending: PendingTurn | null;

  /**
   * The first message: the repository's context (when there is one) as its own block, with a cache breakpoint so
   * every run on the same commit reads it, then the task.
   */
  constructor(firstMessage: string, context?: string) {
    this.pending = context
      ? {
          content: [contextBlock(context), { type: 'text', text: firstMessage }],
          texts: [context, firstMessage],
        }
      : { content: [{ type: 'text', text: firstMessage }], texts: [firstMessage] };
  }

  /** Texts the next request adds to what the model has seen. */
  get newTexts(): readonly string[] {
    return this.pending?.texts ?? [];
  }

  /** The messages of the next request. */
  outgoing(): BetaMessageParam[] {
    return this.pending ? [...this.history, { role: 'user', content: this.pending.content }] : this.history;
  }

  /**
   * A response arrived: the pending turn and the reply join the history. After a paused turn nothing is pending,
   * and the continuation belongs to the same assistant message.
   */
  append(message: BetaMessage): void {
    const last = this.history[this.history.length - 1];
    if (!this.pending && last?.role === 'assistant' && Array.isArray(last.content)) {
      last.content.push(...asParams(message.content));
    } else {
      if (this.pending) this.history.push({ role: 'user', content: this.pending.content });
      this.history.push({ role: 'assistant', content: asParams(message.content) });
    }
    this.pending = null;
  }

  /** The tool calls' answers (and a budget note, inside the same message) become the next turn. */
  answer(answers: readonly ToolAnswer[], note?: string): void {
    this.pending = {
      content: [...answers.map(toolResult), ...(note ? [{ type: 'text' as const, text: note }] : [])],
      texts: [...answers.map((a) => a.text), ...(note ? [note] : [])],
    };
  }

  /** Add a note to the pending turn (a wind-down note once the tool results are in). */
  addNote(note: string): void {
    const pending = (this.pending ??= { content: [], texts: [] });
    pending.content.push({ type: 'text', text: note });
    pending.texts.push(note);
  }

  /** The closing turn: calls not executed are answered "not run", then the note asks for the summary. */
  close(cause: ClosingCause, unexecuted: readonly ToolCall[] = []): void {
    const notRun = unexecuted.map((c) => toolResult({ id: c.id, text: notRunResult(cause), isError: true }));
    const note = closingNote(cause);
    const base = this.pending ?? { content: [], texts: [] };
    this.pending = {
      content: [...notRun, ...base.content, { type: 'text', text: note }],
      texts: [...base.texts, ...notRun.map((r) => String(r.content)), note],
    };
  }
}
