// A scripted Claude Messages API that the real `@anthropic-ai/sdk` talks to through `baseURL`.
//
// Why a simulator and not a mock of the SDK: the action's budget logic lives on numbers the API
// reports (`usage`, `stop_reason`) and on request rules the API enforces (turn alternation,
// tool_use/tool_result pairing, task-budget beta, cache breakpoints). This server answers with the
// real wire format (SSE or JSON), validates requests like the API does, and computes usage from the
// request itself — including a prompt-cache model — so tests can assert exact token arithmetic.
//
// What the model *says* comes from `options.script(request, index)`; everything else is derived.

import http from 'node:http';
import crypto from 'node:crypto';
import {
  countTokens,
  truncateToTokens,
  BLOCK_FRAMING_TOKENS,
  MESSAGE_FRAMING_TOKENS,
  PROMPT_TAIL_TOKENS,
  TOOL_USE_SYSTEM_PROMPT_TOKENS,
  CLIENT_TOOL_TOKENS,
  IMAGE_TOKENS,
} from './tokens.mjs';

/** Beta header value that unlocks `output_config.task_budget`. */
export const TASK_BUDGET_BETA = 'task-budgets-2026-03-13';

/** Models that accept a task budget (the docs' supported list, late 2026). */
export const DEFAULT_TASK_BUDGET_MODELS = Object.freeze([
  'claude-opus-4-7',
  'claude-opus-4-8',
  'claude-opus-5',
  'claude-opus-5-5',
  'claude-fable-5',
  'claude-fable-5-1',
  'claude-mythos-5',
  'claude-mythos-5-1',
  'claude-sonnet-5-5',
  'claude-haiku-5-5',
]);

/**
 * Minimum cacheable prefix per model (the docs' table, late 2026): a shorter prefix is neither written nor read.
 * Models the table does not list get DEFAULT_CACHE_MIN_TOKENS.
 */
export const CACHE_MIN_TOKENS = Object.freeze({
  'claude-fable-5-1': 512,
  'claude-mythos-5-1': 512,
  'claude-opus-5-5': 512,
  'claude-opus-5': 512,
  'claude-fable-5': 512,
  'claude-mythos-5': 512,
  'claude-opus-4-8': 1024,
  'claude-sonnet-5': 1024,
  'claude-sonnet-4-6': 1024,
  'claude-sonnet-4-5': 1024,
  'claude-opus-4-7': 2048,
  'claude-mythos-preview': 2048,
  'claude-opus-4-6': 4096,
  'claude-opus-4-5': 4096,
  'claude-haiku-4-5': 4096,
});
export const DEFAULT_CACHE_MIN_TOKENS = 1024;

/** @param {string} model */
export const cacheMinimumFor = (model) =>
  /** @type {Record<string, number>} */ (CACHE_MIN_TOKENS)[model] ?? DEFAULT_CACHE_MIN_TOKENS;

/** Smallest task budget the API accepts. */
export const MIN_TASK_BUDGET = 20000;
/** At most this many cache breakpoints per request (top-level `cache_control` takes one). */
export const MAX_CACHE_BREAKPOINTS = 4;
/** A cache read looks back at most this many positions before each breakpoint. */
export const CACHE_LOOKBACK_POSITIONS = 20;

const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'];
// Thinking signatures are HMACs of the thinking text, so a block edited by the client is caught
// (the real API rejects modified thinking). The key is fixed so signatures survive across fakes.
const SIGNING_KEY = 'taskcap-sim-thinking-signature';
const MAX_BODY_BYTES = 32 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/**
 * @typedef {{ type: 'text', text: string }
 *   | { type: 'thinking', thinking: string }
 *   | { type: 'tool_use', name: string, input: Record<string, unknown>, id?: string }} Block
 */
/**
 * @typedef {'end_turn'|'tool_use'|'refusal'|'pause_turn'|'model_context_window_exceeded'|'stop_sequence'} ScriptedStopReason
 */
/**
 * @typedef {object} ContentReply
 * @property {Block[]} content
 * @property {ScriptedStopReason} [stop_reason] defaults to 'tool_use' if a tool_use block is sent, else 'end_turn'
 * @property {{ type?: string, category?: string|null, explanation?: string|null } | null} [stop_details]
 * @property {number} [delayMs] overrides options.delayMs for this reply
 */
/**
 * @typedef {object} ErrorReply
 * @property {{ status: number, type: string, message: string, headers?: Record<string, string>, errorCode?: string }} error
 */
/**
 * @typedef {object} StreamErrorReply
 * @property {{ afterBlocks: number, type?: string, message?: string }} streamError
 * @property {Block[]} [content] the blocks streamed before the error
 * @property {number} [delayMs]
 */
/**
 * @typedef {object} DropReply
 * @property {{ afterBlocks?: number, beforeHeaders?: boolean }} drop  destroy the socket after n streamed
 *   blocks (the SDK sees a stream error), or with `beforeHeaders` before any response (APIConnectionError)
 * @property {Block[]} [content] the blocks streamed before the socket is destroyed
 * @property {number} [delayMs]
 */
/** @typedef {{ hang: true }} HangReply */
/** @typedef {ContentReply | ErrorReply | StreamErrorReply | DropReply | HangReply} Reply */
/**
 * How a token-counting request is answered: an error, a hang, or the exact count after `delayMs`.
 * @typedef {ErrorReply | HangReply | { delayMs: number }} CountReply
 */

/**
 * @typedef {object} ScriptRequest
 * @property {http.IncomingHttpHeaders} headers
 * @property {any} body parsed JSON body
 * @property {string[]} betas values of the `anthropic-beta` header
 * @property {number} index 0-based count of requests received
 */

/**
 * @typedef {object} Usage
 * @property {number} input_tokens
 * @property {number} cache_creation_input_tokens
 * @property {number} cache_read_input_tokens
 * @property {number} output_tokens
 * @property {{ ephemeral_5m_input_tokens: number, ephemeral_1h_input_tokens: number }} cache_creation
 */

/**
 * @typedef {object} BilledEntry   usage as reported to the client for one request
 * @property {number} index        request index
 * @property {string} requestId
 * @property {boolean} complete    false when the stream ended before message_delta (streamError/drop/abort)
 * @property {number} input_tokens
 * @property {number} cache_creation_input_tokens
 * @property {number} cache_read_input_tokens
 * @property {number} output_tokens
 * @property {{ ephemeral_5m_input_tokens: number, ephemeral_1h_input_tokens: number }} cache_creation
 */

/**
 * @typedef {object} RecordedRequest
 * @property {number} index
 * @property {string} method
 * @property {string} path
 * @property {http.IncomingHttpHeaders} headers
 * @property {any} body                parsed JSON (null if unparseable)
 * @property {string[]} betas
 * @property {{ status: number|null, usage: Usage|null, stop_reason: string|null, requestId: string,
 *   errorType?: string, errorMessage?: string, aborted?: boolean, generatedOutputTokens?: number }} response
 * @property {unknown} [scriptError]   what the script threw (the request was answered 500 api_error)
 * @property {Reply} [reply]           what the script returned
 */

/**
 * @typedef {object} FakeAnthropicOptions
 * @property {(request: ScriptRequest, index: number) => Reply | Promise<Reply>} [script]
 * @property {readonly string[]} [taskBudgetModels]
 * @property {number | ((model: string) => number)} [cacheMinTokens]  minimum cacheable prefix (default: the
 *   model's, from CACHE_MIN_TOKENS)
 * @property {(request: ScriptRequest, index: number) => CountReply | undefined | Promise<CountReply | undefined>} [countScript]
 *   how `POST /v1/messages/count_tokens` answers (default: the exact count, at once)
 * @property {number} [delayMs]         delay between SSE events (default 0)
 * @property {number} [contextWindow]   prompts above this many tokens get a 400 (default 1,000,000)
 * @property {(model: string) => string} [claudeModelOf]  a platform's model id → the Claude model it serves (for
 *   the task-budget check); default: the id itself
 */

/**
 * @typedef {object} FakeAnthropic
 * @property {string} url                      use as ANTHROPIC_BASE_URL / baseURL
 * @property {RecordedRequest[]} requests      every Messages request received, in arrival order
 * @property {RecordedRequest[]} countRequests every token-counting request received, in arrival order
 * @property {BilledEntry[]} billed            one per request that reported usage
 * @property {() => { input_tokens: number, cache_creation_input_tokens: number, cache_read_input_tokens: number, output_tokens: number }} totals
 * @property {() => void} clearCache           forget every cache entry (simulates expiry)
 * @property {() => Promise<void>} close
 */

// ---------------------------------------------------------------------------------------------
// Block helpers for scripts
// ---------------------------------------------------------------------------------------------

/** @param {string} s @returns {Block} */
export const text = (s) => ({ type: 'text', text: s });
/** @param {string} s @returns {Block} */
export const thinking = (s) => ({ type: 'thinking', thinking: s });
/**
 * @param {string} name @param {Record<string, unknown>} input @param {string} [id]
 * @returns {Block}
 */
export const toolUse = (name, input, id) => (id ? { type: 'tool_use', name, input, id } : { type: 'tool_use', name, input });
/** @param {string} command @returns {Block} */
export const bash = (command) => toolUse('bash', { command });
/** @param {string} path @param {[number, number]} [range] @returns {Block} */
export const view = (path, range) =>
  toolUse('str_replace_based_edit_tool', range ? { command: 'view', path, view_range: range } : { command: 'view', path });
/** @param {string} path @param {string} oldStr @param {string} newStr @returns {Block} */
export const strReplace = (path, oldStr, newStr) =>
  toolUse('str_replace_based_edit_tool', { command: 'str_replace', path, old_str: oldStr, new_str: newStr });
/** @param {string} path @param {string} fileText @returns {Block} */
export const create = (path, fileText) =>
  toolUse('str_replace_based_edit_tool', { command: 'create', path, file_text: fileText });

/**
 * A script that answers with `replies` in order, one per script call (requests rejected before the
 * script, e.g. 400s, don't consume a reply). Throws (→ 500 api_error) once they run out.
 * @param {...Reply} replies
 * @returns {(request: ScriptRequest, index: number) => Reply}
 */
export function sequence(...replies) {
  let next = 0;
  return () => {
    if (next >= replies.length) throw new Error(`script exhausted: only ${replies.length} replies were scripted`);
    return replies[next++];
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring a request: positions, tokens, cache hashes
// ---------------------------------------------------------------------------------------------

/** JSON with sorted keys and without `cache_control`, so moving a breakpoint never changes a hash. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => k !== 'cache_control' && value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** @param {string} s */
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');

/** @param {string} thinkingText */
function signThinking(thinkingText) {
  return crypto.createHmac('sha256', SIGNING_KEY).update(thinkingText).digest('base64');
}

/**
 * Input-side token cost of one tool definition.
 * @param {any} tool
 */
function toolTokens(tool) {
  const fixed = CLIENT_TOOL_TOKENS[/** @type {keyof typeof CLIENT_TOOL_TOKENS} */ (tool.type)];
  if (fixed !== undefined) return fixed;
  return (
    BLOCK_FRAMING_TOKENS +
    countTokens(String(tool.name ?? '')) +
    countTokens(String(tool.description ?? '')) +
    countTokens(JSON.stringify(tool.input_schema ?? {}))
  );
}

/**
 * Token cost of one content block, the same on the input side and (for generated blocks) the
 * output side, so an assistant turn sent back costs exactly its output_tokens + message framing.
 * @param {any} block
 * @returns {number}
 */
export function blockTokens(block) {
  switch (block?.type) {
    case 'text':
      return BLOCK_FRAMING_TOKENS + countTokens(block.text);
    case 'thinking':
      return BLOCK_FRAMING_TOKENS + countTokens(block.thinking);
    case 'redacted_thinking':
      return BLOCK_FRAMING_TOKENS + countTokens(block.data);
    case 'tool_use':
      return BLOCK_FRAMING_TOKENS + countTokens(String(block.name) + JSON.stringify(block.input ?? {}));
    case 'tool_result': {
      const c = block.content;
      if (c === undefined || c === null) return BLOCK_FRAMING_TOKENS;
      if (typeof c === 'string') return BLOCK_FRAMING_TOKENS + countTokens(c);
      return BLOCK_FRAMING_TOKENS + c.reduce((/** @type {number} */ n, /** @type {any} */ inner) => n + blockTokens(inner), 0);
    }
    case 'image':
      return BLOCK_FRAMING_TOKENS + IMAGE_TOKENS;
    default:
      // Documents, search results, … : charge their serialized form.
      return BLOCK_FRAMING_TOKENS + countTokens(JSON.stringify(block));
  }
}

/**
 * @typedef {object} Position   one cacheable position of the prompt prefix
 * @property {'tools'|'system'|'messages'} level
 * @property {string} where       e.g. 'tools.0', 'system.1', 'messages.3.content.0-2'
 * @property {number} tokens
 * @property {number} cumulative  tokens of the prefix up to and including this position
 * @property {string} hash        cache key of that prefix
 * @property {null | '5m' | '1h'} breakpoint
 */

/** @param {any} content */
const blocksOf = (content) => (typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? content : []);

/** @param {any} block  true if the block or (for tool_result) a block inside it carries cache_control */
function cacheControlOf(block) {
  if (block?.cache_control) return block.cache_control;
  if (block?.type === 'tool_result' && Array.isArray(block.content)) {
    for (const inner of block.content) if (inner?.cache_control) return inner.cache_control;
  }
  return null;
}

/**
 * Splits a request into the positions of its prompt prefix (tools → system → message blocks; a run
 * of consecutive tool_use or tool_result blocks is one position), with token counts, cumulative
 * prefix hashes and breakpoints. The hash chain starts from the model and mixes in the settings
 * that invalidate a level: output_config/speed at the system level, tool_choice/thinking at the
 * messages level.
 * @param {any} body a request that passed validation
 * @returns {{ positions: Position[], totalTokens: number }}
 */
export function measureRequest(body) {
  /** @type {{ level: Position['level'], where: string, tokens: number, content: any[], cc: any }[]} */
  const raw = [];

  const tools = Array.isArray(body.tools) ? body.tools : [];
  tools.forEach((tool, i) => {
    const tokens = toolTokens(tool) + (i === 0 ? TOOL_USE_SYSTEM_PROMPT_TOKENS : 0);
    raw.push({ level: 'tools', where: `tools.${i}`, tokens, content: [tool], cc: tool.cache_control ?? null });
  });

  blocksOf(body.system).forEach((block, i) => {
    raw.push({ level: 'system', where: `system.${i}`, tokens: blockTokens(block), content: [block], cc: block.cache_control ?? null });
  });

  (body.messages ?? []).forEach((/** @type {any} */ message, m) => {
    const blocks = blocksOf(message.content);
    const first = raw.length;
    blocks.forEach((block, j) => {
      const prev = raw.length > first ? raw[raw.length - 1] : null;
      const runType = block.type === 'tool_use' || block.type === 'tool_result' ? block.type : null;
      if (prev && runType && prev.content[prev.content.length - 1].type === runType) {
        // Consecutive tool_use (or tool_result) blocks share one position.
        prev.content.push(block);
        prev.tokens += blockTokens(block);
        prev.where = prev.where.replace(/(\d+)(-\d+)?$/, `$1-${j}`);
        prev.cc = cacheControlOf(block) ?? prev.cc;
        return;
      }
      raw.push({ level: 'messages', where: `messages.${m}.content.${j}`, tokens: blockTokens(block), content: [block], cc: cacheControlOf(block) });
    });
    if (raw.length === first) {
      // An empty (final assistant) message still has its role header.
      raw.push({ level: 'messages', where: `messages.${m}`, tokens: 0, content: [], cc: null });
    }
    raw[first].tokens += MESSAGE_FRAMING_TOKENS;
    // The role and message boundary are part of the first position's identity.
    raw[first].content = [{ role: message.role, messageStart: true }, ...raw[first].content];
  });

  // Automatic caching: the top-level cache_control becomes a breakpoint on the last block.
  if (body.cache_control && raw.length > 0) {
    const last = raw[raw.length - 1];
    last.cc = last.cc ?? body.cache_control;
  }

  const levelContext = {
    tools: '',
    system: canonical({ output_config: body.output_config ?? null, speed: body.speed ?? null }),
    messages: canonical({ tool_choice: body.tool_choice ?? null, thinking: body.thinking ?? null }),
  };
  let hash = sha(canonical({ model: body.model }));
  let cumulative = 0;
  /** @type {Position[]} */
  const positions = raw.map((p) => {
    cumulative += p.tokens;
    hash = sha(`${hash}\n${p.level}\n${levelContext[p.level]}\n${canonical(p.content)}`);
    return {
      level: p.level,
      where: p.where,
      tokens: p.tokens,
      cumulative,
      hash,
      breakpoint: p.cc ? (p.cc.ttl === '1h' ? '1h' : '5m') : null,
    };
  });
  return { positions, totalTokens: cumulative + PROMPT_TAIL_TOKENS };
}

/**
 * The input side of usage for a request against a cache (a Set of prefix hashes).
 * read: the longest cached prefix found by looking back from each breakpoint;
 * written: from there to the last breakpoint, if that prefix reaches cacheMinTokens;
 * input: everything else (always at least the prompt tail).
 * @param {{ positions: Position[], totalTokens: number }} measured
 * @param {Set<string>} cache
 * @param {number} cacheMinTokens
 */
function cacheUsage(measured, cache, cacheMinTokens) {
  const { positions, totalTokens } = measured;
  const breakpoints = positions.map((p, i) => (p.breakpoint ? i : -1)).filter((i) => i >= 0);

  let readEnd = -1;
  for (const b of breakpoints) {
    for (let j = b; j >= Math.max(0, b - CACHE_LOOKBACK_POSITIONS); j--) {
      if (cache.has(positions[j].hash)) {
        readEnd = Math.max(readEnd, j);
        break;
      }
    }
  }
  const read = readEnd >= 0 ? positions[readEnd].cumulative : 0;

  let write5m = 0;
  let write1h = 0;
  const lastBp = breakpoints.length ? breakpoints[breakpoints.length - 1] : -1;
  if (lastBp > readEnd && positions[lastBp].cumulative >= cacheMinTokens) {
    // Each stretch between breakpoints is written with the TTL of the breakpoint that ends it.
    let from = read;
    for (const b of breakpoints) {
      if (b <= readEnd) continue;
      const segment = positions[b].cumulative - from;
      if (positions[b].breakpoint === '1h') write1h += segment;
      else write5m += segment;
      from = positions[b].cumulative;
    }
  }
  const created = write5m + write1h;
  return {
    input_tokens: totalTokens - read - created,
    cache_creation_input_tokens: created,
    cache_read_input_tokens: read,
    cache_creation: { ephemeral_5m_input_tokens: write5m, ephemeral_1h_input_tokens: write1h },
    /** hashes to store once the response begins */
    toStore: breakpoints.filter((b) => positions[b].cumulative >= cacheMinTokens).map((b) => positions[b].hash),
  };
}

// ---------------------------------------------------------------------------------------------
// Validation (400 invalid_request_error, worded like the API)
// ---------------------------------------------------------------------------------------------

class RequestError extends Error {
  /** @param {number} status @param {string} type @param {string} message */
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}
/** @param {string} message */
const invalid = (message) => new RequestError(400, 'invalid_request_error', message);

/** @param {any} cc @param {string} where */
function checkCacheControl(cc, where) {
  if (cc === undefined || cc === null) return;
  if (typeof cc !== 'object' || cc.type !== 'ephemeral') throw invalid(`${where}.cache_control.type: Input should be 'ephemeral'`);
  if (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h') throw invalid(`${where}.cache_control.ttl: Input should be '5m' or '1h'`);
}

/**
 * Throws a RequestError for anything the real API would reject with 400 (within the simulated surface).
 * @param {any} body
 * @param {string[]} betas
 * @param {readonly string[]} taskBudgetModels
 */
function validateRequest(body, betas, taskBudgetModels, claudeModelOf = (/** @type {string} */ m) => m, counting = false) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  if (typeof body.model !== 'string' || body.model === '') throw invalid('model: Field required');
  if (counting) {
    // Token counting takes the request without the generation settings.
    for (const key of ['max_tokens', 'stream', 'stop_sequences', 'temperature'])
      if (body[key] !== undefined) throw invalid(`${key}: Extra inputs are not permitted`);
  } else {
    if (body.max_tokens === undefined || body.max_tokens === null) throw invalid('max_tokens: Field required');
    if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1)
      throw invalid(`max_tokens: Input should be an integer greater than or equal to 1, got ${JSON.stringify(body.max_tokens)}`);
  }
  if (!Array.isArray(body.messages)) throw invalid('messages: Field required');
  if (body.messages.length === 0) throw invalid('messages: at least one message is required');

  /** cache_control ttls in prefix order, for the count and the ordering rule */
  /** @type {string[]} */
  const ttls = [];
  /** @param {any} cc @param {string} where */
  const noteCc = (cc, where) => {
    if (cc === undefined || cc === null) return;
    checkCacheControl(cc, where);
    ttls.push(cc.ttl === '1h' ? '1h' : '5m');
  };

  // Tools
  if (body.tools !== undefined && !Array.isArray(body.tools)) throw invalid('tools: Input should be a valid list');
  const toolNames = new Set();
  (body.tools ?? []).forEach((/** @type {any} */ tool, i) => {
    if (!tool || typeof tool !== 'object') throw invalid(`tools.${i}: Input should be an object`);
    if (tool.type === 'bash_20250124') {
      if (tool.name !== 'bash') throw invalid(`tools.${i}.name: Input should be 'bash' for tool type 'bash_20250124'`);
    } else if (tool.type === 'text_editor_20250728') {
      if (tool.name !== 'str_replace_based_edit_tool')
        throw invalid(`tools.${i}.name: Input should be 'str_replace_based_edit_tool' for tool type 'text_editor_20250728'`);
      if (tool.max_characters !== undefined && tool.max_characters !== null && !(Number.isInteger(tool.max_characters) && tool.max_characters >= 1))
        throw invalid(`tools.${i}.max_characters: Input should be an integer greater than or equal to 1`);
    } else if (tool.type === undefined || tool.type === 'custom') {
      if (typeof tool.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool.name))
        throw invalid(`tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
      if (!tool.input_schema || typeof tool.input_schema !== 'object') throw invalid(`tools.${i}.custom.input_schema: Field required`);
    } else {
      throw invalid(`tools.${i}: Input tag '${tool.type}' found using 'type' is not supported by this simulator (expected 'bash_20250124', 'text_editor_20250728' or a custom tool)`);
    }
    if (toolNames.has(tool.name)) throw invalid(`tools: Tool names must be unique. Duplicate name: '${tool.name}'`);
    toolNames.add(tool.name);
    noteCc(tool.cache_control, `tools.${i}`);
  });
  if (body.tool_choice?.type === 'tool' && !toolNames.has(body.tool_choice.name))
    throw invalid(`tool_choice.name: Tool '${body.tool_choice.name}' not found in tools`);

  // System
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system))
    throw invalid('system: Input should be a valid string or list of text blocks');
  if (Array.isArray(body.system)) {
    body.system.forEach((/** @type {any} */ block, i) => {
      if (block?.type !== 'text' || typeof block.text !== 'string') throw invalid(`system.${i}.type: Input should be 'text'`);
      if (block.text === '') throw invalid('system: text content blocks must be non-empty');
      noteCc(block.cache_control, `system.${i}`);
    });
  }

  // Messages
  const messages = body.messages;
  messages.forEach((/** @type {any} */ message, i) => {
    if (!message || (message.role !== 'user' && message.role !== 'assistant'))
      throw invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (i === 0 && message.role !== 'user') throw invalid('messages: first message must use the "user" role');
    if (i > 0 && messages[i - 1].role === message.role)
      throw invalid(`messages: roles must alternate between "user" and "assistant", but found multiple "${message.role}" roles in a row`);
    if (typeof message.content !== 'string' && !Array.isArray(message.content))
      throw invalid(`messages.${i}.content: Input should be a valid string or list of content blocks`);
    const blocks = blocksOf(message.content);
    const isFinalAssistant = i === messages.length - 1 && message.role === 'assistant';
    if (blocks.length === 0 && !isFinalAssistant)
      throw invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);

    let seenNonResult = false;
    blocks.forEach((/** @type {any} */ block, j) => {
      const where = `messages.${i}.content.${j}`;
      if (!block || typeof block.type !== 'string') throw invalid(`${where}: Input should be a content block object with a 'type'`);
      if (block.type === 'text' && (typeof block.text !== 'string' || block.text === ''))
        throw invalid(`${where}.text: text content blocks must be non-empty`);
      if (block.type === 'tool_use') {
        if (message.role !== 'assistant') throw invalid(`${where}: tool_use blocks can only appear in assistant messages`);
        if (typeof block.id !== 'string' || typeof block.name !== 'string' || !block.input || typeof block.input !== 'object')
          throw invalid(`${where}: tool_use blocks need 'id', 'name' and an object 'input'`);
      }
      if (block.type === 'thinking' || block.type === 'redacted_thinking') {
        if (message.role !== 'assistant') throw invalid(`${where}: thinking blocks can only appear in assistant messages`);
        if (block.type === 'thinking' && block.signature !== signThinking(String(block.thinking ?? '')))
          throw invalid(`${where}: Invalid \`signature\` in \`thinking\` block`);
      }
      if (block.type === 'tool_result') {
        if (message.role !== 'user') throw invalid(`${where}: tool_result blocks can only appear in user messages`);
        if (seenNonResult)
          throw invalid(`${where}: tool_result blocks must come first in the user message; other content may only follow them`);
      } else {
        seenNonResult = true;
      }
      noteCc(cacheControlOf(block), where);
    });
  });

  // tool_use ↔ tool_result pairing across consecutive turns
  const seenIds = new Set();
  messages.forEach((/** @type {any} */ message, i) => {
    const blocks = blocksOf(message.content);
    if (message.role === 'assistant') {
      const ids = blocks.filter((b) => b.type === 'tool_use').map((b) => b.id);
      for (const id of ids) {
        if (seenIds.has(id)) throw invalid(`messages.${i}: \`tool_use\` ids must be unique; duplicate id: ${id}`);
        seenIds.add(id);
      }
      if (ids.length === 0) return;
      const next = messages[i + 1];
      const answered = new Set(next ? blocksOf(next.content).filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id) : []);
      const missing = ids.filter((id) => !answered.has(id));
      if (missing.length > 0)
        throw invalid(
          `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. ` +
            'Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
        );
    } else {
      const prev = i > 0 ? messages[i - 1] : null;
      const offered = new Set(prev ? blocksOf(prev.content).filter((b) => b.type === 'tool_use').map((b) => b.id) : []);
      blocks.forEach((block, j) => {
        if (block.type === 'tool_result' && !offered.has(block.tool_use_id))
          throw invalid(
            `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id}. ` +
              'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
          );
      });
    }
  });

  // Top-level (automatic) cache_control: one more breakpoint, on the last block.
  if (body.cache_control !== undefined && body.cache_control !== null) {
    checkCacheControl(body.cache_control, 'cache_control');
    const lastMessage = messages[messages.length - 1];
    const lastBlock = blocksOf(lastMessage.content).at(-1);
    const explicit = lastBlock ? cacheControlOf(lastBlock) : null;
    if (explicit && (explicit.ttl ?? '5m') !== (body.cache_control.ttl ?? '5m'))
      throw invalid('cache_control: the top-level cache_control ttl conflicts with the ttl of the last block');
    ttls.push(body.cache_control.ttl === '1h' ? '1h' : '5m');
  }
  if (ttls.length > MAX_CACHE_BREAKPOINTS)
    throw invalid(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${ttls.length}.`);
  const first5m = ttls.indexOf('5m');
  if (first5m >= 0 && ttls.indexOf('1h', first5m) >= 0)
    throw invalid('cache_control: a ttl="1h" cache breakpoint must not come after a ttl="5m" breakpoint');

  // Thinking config
  const th = body.thinking;
  if (th !== undefined && th !== null) {
    if (th.type === 'enabled') {
      if (!Number.isInteger(th.budget_tokens) || th.budget_tokens < 1024)
        throw invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
      if (!counting && th.budget_tokens >= body.max_tokens) throw invalid('`max_tokens` must be greater than `thinking.budget_tokens`');
    } else if (th.type !== 'adaptive' && th.type !== 'disabled') {
      throw invalid(`thinking.type: Input tag '${th.type}' is not one of 'enabled', 'adaptive', 'disabled'`);
    }
  }

  // output_config: effort and the task budget
  const oc = body.output_config;
  if (oc !== undefined && oc !== null) {
    if (oc.effort !== undefined && oc.effort !== null && !EFFORTS.includes(oc.effort))
      throw invalid(`output_config.effort: Input should be ${EFFORTS.map((e) => `'${e}'`).join(', ')}`);
    const tb = oc.task_budget;
    if (tb !== undefined && tb !== null) {
      if (!betas.includes(TASK_BUDGET_BETA))
        throw invalid(`output_config.task_budget: This field requires the \`anthropic-beta: ${TASK_BUDGET_BETA}\` header.`);
      if (!taskBudgetModels.includes(claudeModelOf(body.model)))
        throw invalid(`output_config.task_budget: Task budgets are not supported for model '${body.model}'.`);
      if (tb.type !== 'tokens') throw invalid("output_config.task_budget.type: Input should be 'tokens'");
      if (!Number.isInteger(tb.total) || tb.total < MIN_TASK_BUDGET)
        throw invalid(`output_config.task_budget.total: must be at least ${MIN_TASK_BUDGET}, got ${JSON.stringify(tb.total)}`);
      if (tb.remaining !== undefined && tb.remaining !== null && !(Number.isInteger(tb.remaining) && tb.remaining >= 0 && tb.remaining <= tb.total))
        throw invalid('output_config.task_budget.remaining: must be an integer between 0 and total');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Generating the reply
// ---------------------------------------------------------------------------------------------

/**
 * Turns scripted blocks into wire blocks (ids, signatures), honouring max_tokens exactly:
 * text/thinking are cut at the limit, a tool_use that doesn't fit whole is dropped.
 * @param {Block[]} scripted
 * @param {number} maxTokens
 * @param {number} requestIndex
 */
function planOutput(scripted, maxTokens, requestIndex) {
  /** @type {any[]} */
  const blocks = [];
  let used = 0;
  let thinkingTokens = 0;
  let truncated = false;
  for (const [i, block] of scripted.entries()) {
    if (!block || !['text', 'thinking', 'tool_use'].includes(block.type))
      throw new Error(`script returned an unsupported block at content[${i}]: ${JSON.stringify(block)}`);
    /** @type {any} */
    let wire;
    if (block.type === 'text') wire = { type: 'text', text: String(block.text) };
    else if (block.type === 'thinking') wire = { type: 'thinking', thinking: String(block.thinking) };
    else wire = { type: 'tool_use', id: block.id ?? `toolu_sim${requestIndex}_${i}`, name: block.name, input: block.input ?? {} };

    const cost = blockTokens(wire);
    if (used + cost > maxTokens) {
      truncated = true;
      const room = maxTokens - used - BLOCK_FRAMING_TOKENS;
      if (wire.type !== 'tool_use' && room > 0) {
        const key = wire.type === 'text' ? 'text' : 'thinking';
        const cut = truncateToTokens(wire[key], room);
        if (cut !== '') {
          wire[key] = cut;
          if (wire.type === 'thinking') thinkingTokens += blockTokens(wire);
          blocks.push(wire);
        }
      }
      break;
    }
    used += cost;
    if (wire.type === 'thinking') thinkingTokens += cost;
    blocks.push(wire);
  }
  for (const b of blocks) if (b.type === 'thinking') b.signature = signThinking(b.thinking);
  // A reply is never free: even an empty one costs its stop token.
  const outputTokens = truncated ? maxTokens : Math.max(1, used);
  return { blocks, outputTokens, thinkingTokens, truncated };
}

/** Splits a string into about `parts` chunks on code-point boundaries (deltas arrive in pieces). */
function chunks(s, parts = 3) {
  if (s.length === 0) return [];
  const size = Math.max(1, Math.ceil(s.length / parts));
  const out = [];
  for (let i = 0; i < s.length; ) {
    let end = Math.min(s.length, i + size);
    // Never split a surrogate pair.
    const last = s.charCodeAt(end - 1);
    if (end < s.length && last >= 0xd800 && last <= 0xdbff) end++;
    out.push(s.slice(i, end));
    i = end;
  }
  return out;
}

/** SSE events for one content block at `index`. @param {any} block @param {number} index */
function blockEvents(block, index) {
  /** @type {[string, any][]} */
  const events = [];
  if (block.type === 'text') {
    events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
    for (const piece of chunks(block.text))
      events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }]);
  } else if (block.type === 'thinking') {
    events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }]);
    for (const piece of chunks(block.thinking))
      events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } }]);
    events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } }]);
  } else {
    events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }]);
    // The API's first input delta is empty; the JSON then arrives in arbitrary pieces.
    for (const piece of ['', ...chunks(JSON.stringify(block.input))])
      events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } }]);
  }
  events.push(['content_block_stop', { type: 'content_block_stop', index }]);
  return events;
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {any} reply */
function replyKind(reply) {
  if (!reply || typeof reply !== 'object') return null;
  if (reply.error) return 'error';
  if (reply.streamError) return 'streamError';
  if (reply.drop) return 'drop';
  if (reply.hang) return 'hang';
  if (Array.isArray(reply.content)) return 'content';
  return null;
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/**
 * @typedef {object} Framing   how a platform puts the Messages API on the wire (the Anthropic API: SSE and JSON errors)
 * @property {(res: http.ServerResponse, status: number, error: { type: string, message: string, errorCode?: string, requestId: string }, headers?: Record<string, string>) => void} error
 * @property {(res: http.ServerResponse) => void} streamStart
 * @property {(event: string, data: any) => Buffer | string} frame            one streamed event
 * @property {(error: { type: string, message: string, requestId: string }) => Buffer | string} streamError  a mid-stream error
 */

/** The Anthropic API's own framing: JSON error bodies, SSE streams. @type {Framing} */
export const SSE_FRAMING = {
  error(res, status, e, headers = {}) {
    /** @type {any} */
    const error = { type: e.type, message: e.message };
    if (e.errorCode) error.details = { error_code: e.errorCode };
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ type: 'error', error, request_id: e.requestId }));
  },
  streamStart(res) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  },
  frame: (event, data) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
  streamError: (e) => `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: e.type, message: e.message }, request_id: e.requestId })}\n\n`,
};

/**
 * The Messages API behind every simulated platform: request validation, the prompt-cache model, the script, usage,
 * and the reply in the platform's framing. A platform front (the Anthropic API here; Bedrock, Vertex and Foundry in
 * providers.mjs) routes, authenticates and unwraps the request, then hands it to `respond`.
 * @param {FakeAnthropicOptions} [options]
 */
export function createMessagesEngine(options = {}) {
  const script = options.script ?? (() => ({ content: [text('Done.')] }));
  const taskBudgetModels = options.taskBudgetModels ?? DEFAULT_TASK_BUDGET_MODELS;
  const minimumOption = options.cacheMinTokens ?? cacheMinimumFor;
  /** @param {string} model */
  const cacheMinFor = (model) => (typeof minimumOption === 'number' ? minimumOption : minimumOption(model));
  const countScript = options.countScript ?? (() => undefined);
  const defaultDelay = options.delayMs ?? 0;
  const contextWindow = options.contextWindow ?? 1_000_000;

  /** @type {RecordedRequest[]} */
  const requests = [];
  /** @type {RecordedRequest[]} */
  const countRequests = [];
  /** @type {BilledEntry[]} */
  const billed = [];
  /** Prefix hashes written to the cache (no expiry: tests call clearCache() to simulate it). */
  const cache = new Set();
  /** Responses that are still open, so close() can end hanging ones. */
  const open = new Set();

  /**
   * `POST /v1/messages/count_tokens`: the prompt the same request would bill (input + cache writes + cache reads),
   * without caching logic and without calling the script. Recorded apart from the Messages requests.
   * @param {http.IncomingMessage} req @param {http.ServerResponse} res
   */
  async function count(req, res) {
    const index = countRequests.length;
    const requestId = `req_count_${index}`;
    /** @type {RecordedRequest} */
    const record = { index, method: req.method ?? '', path: '/v1/messages/count_tokens', headers: req.headers, body: null, betas: [], response: { status: null, usage: null, stop_reason: null, requestId } };
    countRequests.push(record);
    res.setHeader('request-id', requestId);
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished) record.response.aborted = true;
    });
    if (req.method !== 'POST') return sendError(res, record, 405, 'invalid_request_error', `Method ${req.method} not allowed`);
    const bearer = /^Bearer\s+(\S+)/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!req.headers['x-api-key'] && !bearer) return sendError(res, record, 401, 'authentication_error', 'x-api-key header is required');
    let rawBody;
    try {
      rawBody = await readBody(req);
    } catch (err) {
      if (err instanceof RequestError) return sendError(res, record, err.status, err.type, err.message);
      return;
    }
    record.betas = String(req.headers['anthropic-beta'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    try {
      record.body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return sendError(res, record, 400, 'invalid_request_error', 'The request body is not valid JSON.');
    }
    if (!req.headers['anthropic-version']) return sendError(res, record, 400, 'invalid_request_error', 'anthropic-version: header is required');
    try {
      validateRequest(record.body, record.betas, taskBudgetModels, options.claudeModelOf, true);
    } catch (err) {
      if (err instanceof RequestError) return sendError(res, record, err.status, err.type, err.message);
      throw err;
    }
    /** @type {any} */
    let reply;
    try {
      reply = await countScript({ headers: req.headers, body: record.body, betas: record.betas, index }, index);
    } catch (err) {
      record.scriptError = err;
      return sendError(res, record, 500, 'api_error', `Internal server error (count script failed: ${err instanceof Error ? err.message : String(err)})`);
    }
    if (reply?.error) {
      const e = reply.error;
      return sendError(res, record, e.status, e.type, e.message, { headers: e.headers, errorCode: e.errorCode });
    }
    if (reply?.hang) return; // open until the client gives up or close() is called
    if (reply?.delayMs) await sleep(reply.delayMs);
    if (res.destroyed) return;
    const inputTokens = measureRequest(record.body).totalTokens;
    record.response.status = 200;
    record.response.usage = { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ input_tokens: inputTokens }));
  }

  /**
   * Start recording a request: its index, request id and path.
   * @param {http.IncomingMessage} req @param {http.ServerResponse} res
   * @returns {RecordedRequest}
   */
  function begin(req, res) {
    const index = requests.length;
    const requestId = `req_sim_${index}`;
    const url = new URL(req.url ?? '/', 'http://sim');
    /** @type {RecordedRequest} */
    const record = {
      index,
      method: req.method ?? '',
      path: url.pathname,
      headers: req.headers,
      body: null,
      betas: [],
      response: { status: null, usage: null, stop_reason: null, requestId },
    };
    requests.push(record);
    res.setHeader('request-id', requestId);
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished) record.response.aborted = true;
    });
    return record;
  }

  /**
   * @param {http.ServerResponse} res @param {RecordedRequest} record
   * @param {number} status @param {string} type @param {string} message
   * @param {{ headers?: Record<string, string>, errorCode?: string }} [extra]
   * @param {Framing} [framing]
   */
  function sendError(res, record, status, type, message, extra = {}, framing = SSE_FRAMING) {
    record.response.status = status;
    record.response.errorType = type;
    record.response.errorMessage = message;
    framing.error(res, status, { type, message, errorCode: extra.errorCode, requestId: record.response.requestId }, extra.headers);
  }

  /**
   * Validate, run the script and answer: the part every platform shares.
   * @param {http.ServerResponse} res @param {RecordedRequest} record
   * @param {{ body: any, betas: string[], headers?: http.IncomingHttpHeaders, framing?: Framing }} request
   */
  async function respond(res, record, request) {
    const framing = request.framing ?? SSE_FRAMING;
    const index = record.index;
    const requestId = record.response.requestId;
    record.body = request.body;
    record.betas = request.betas;
    try {
      validateRequest(record.body, record.betas, taskBudgetModels, options.claudeModelOf);
    } catch (err) {
      if (err instanceof RequestError) return sendError(res, record, err.status, err.type, err.message, {}, framing);
      throw err;
    }
    const body = record.body;
    const measured = measureRequest(body);
    if (measured.totalTokens > contextWindow)
      return sendError(res, record, 400, 'invalid_request_error', `prompt is too long: ${measured.totalTokens} tokens > ${contextWindow} maximum`, {}, framing);

    /** @type {any} */
    let reply;
    try {
      reply = await script({ headers: request.headers ?? {}, body, betas: record.betas, index }, index);
      record.reply = reply;
      if (!replyKind(reply)) throw new Error(`script returned an unrecognised reply: ${JSON.stringify(reply)}`);
      // Plan the output now so a bad block is a script error (500), not a broken stream.
      if (reply.content !== undefined && !Array.isArray(reply.content)) throw new Error('reply.content must be an array');
      reply = { ...reply, plan: planOutput(reply.content ?? [], body.max_tokens, index) };
    } catch (err) {
      record.scriptError = err;
      return sendError(res, record, 500, 'api_error', `Internal server error (simulator script failed: ${err instanceof Error ? err.message : String(err)})`, {}, framing);
    }
    if (res.destroyed) return; // the client gave up while the script was thinking

    const kind = replyKind(reply);
    if (kind === 'error') {
      const e = reply.error;
      return sendError(res, record, e.status, e.type, e.message, { headers: e.headers, errorCode: e.errorCode }, framing);
    }
    if (kind === 'hang') {
      record.response.status = null;
      return; // leave the response open until the client aborts or close() is called
    }
    if (kind === 'drop' && reply.drop.beforeHeaders) {
      record.response.status = null;
      res.socket?.destroy();
      return;
    }

    const usage = cacheUsage(measured, cache, cacheMinFor(body.model));
    const { blocks, outputTokens, thinkingTokens, truncated } = reply.plan;
    const hasToolUse = blocks.some((/** @type {any} */ b) => b.type === 'tool_use');
    const stopReason = truncated ? 'max_tokens' : reply.stop_reason ?? (hasToolUse ? 'tool_use' : 'end_turn');
    const stopDetails = reply.stop_details ?? null;
    const delayMs = reply.delayMs ?? defaultDelay;
    record.response.generatedOutputTokens = outputTokens;

    const inputUsage = {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
    };
    const finalUsage = {
      ...inputUsage,
      output_tokens: outputTokens,
      cache_creation: usage.cache_creation,
    };
    /** The cache entry exists once the response begins. */
    const storeCache = () => usage.toStore.forEach((h) => cache.add(h));
    const messageId = `msg_sim_${index}`;

    // Non-streaming: one JSON body (a drop closes the socket, a streamError becomes a 500).
    if (body.stream !== true) {
      if (kind === 'drop') {
        record.response.status = null;
        res.socket?.destroy();
        return;
      }
      if (kind === 'streamError') {
        const e = reply.streamError;
        return sendError(res, record, 500, e.type ?? 'api_error', e.message ?? 'Internal server error', {}, framing);
      }
      storeCache();
      billed.push({ index, requestId, complete: true, ...finalUsage });
      record.response.status = 200;
      record.response.usage = finalUsage;
      record.response.stop_reason = stopReason;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: messageId,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: blocks,
          stop_reason: stopReason,
          stop_sequence: null,
          stop_details: stopDetails,
          container: null,
          context_management: null,
          usage: {
            ...finalUsage,
            output_tokens_details: { thinking_tokens: thinkingTokens },
            server_tool_use: null,
            service_tier: 'standard',
          },
        }),
      );
      return;
    }

    // Streaming
    framing.streamStart(res);
    record.response.status = 200;
    /** @param {Buffer | string} chunk */
    const write = async (chunk) => {
      if (res.destroyed) throw new Error('client went away');
      await new Promise((resolve) => res.write(chunk, resolve));
      if (res.destroyed) throw new Error('client went away');
      if (delayMs > 0) await sleep(delayMs);
    };
    /** @param {string} event @param {any} data */
    const send = (event, data) => write(framing.frame(event, data));

    const startUsage = { ...inputUsage, cache_creation: usage.cache_creation, output_tokens: 1, service_tier: 'standard' };
    /** @type {BilledEntry} */
    const bill = { index, requestId, complete: false, ...inputUsage, output_tokens: 1, cache_creation: usage.cache_creation };
    const limit = kind === 'content' ? blocks.length : Math.min(blocks.length, (kind === 'drop' ? reply.drop : reply.streamError).afterBlocks ?? 0);

    try {
      storeCache();
      billed.push(bill);
      record.response.usage = { ...inputUsage, output_tokens: 1, cache_creation: usage.cache_creation };
      await send('message_start', {
        type: 'message_start',
        message: {
          id: messageId,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          stop_details: null,
          container: null,
          context_management: null,
          usage: startUsage,
        },
      });
      await send('ping', { type: 'ping' });
      for (let i = 0; i < limit; i++) for (const [event, data] of blockEvents(blocks[i], i)) await send(event, data);

      if (kind === 'drop') {
        res.socket?.destroy();
        return;
      }
      if (kind === 'streamError') {
        const e = reply.streamError;
        const type = e.type ?? 'overloaded_error';
        record.response.errorType = type;
        record.response.errorMessage = e.message ?? 'Overloaded';
        await write(framing.streamError({ type, message: e.message ?? 'Overloaded', requestId }));
        res.end();
        return;
      }

      await send('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null, stop_details: stopDetails },
        // Cumulative totals for the whole message, as the API sends them.
        usage: {
          ...inputUsage,
          output_tokens: outputTokens,
          output_tokens_details: { thinking_tokens: thinkingTokens },
          server_tool_use: null,
        },
      });
      Object.assign(bill, { complete: true, output_tokens: outputTokens });
      record.response.usage = finalUsage;
      record.response.stop_reason = stopReason;
      await send('message_stop', { type: 'message_stop' });
      res.end();
    } catch {
      // The client aborted mid-stream: the bill stays at what was reported so far.
    }
  }

  return {
    requests,
    countRequests,
    billed,
    begin,
    count,
    respond,
    sendError,
    readBody,
    totals() {
      const sum = { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 };
      for (const b of billed) {
        sum.input_tokens += b.input_tokens;
        sum.cache_creation_input_tokens += b.cache_creation_input_tokens;
        sum.cache_read_input_tokens += b.cache_read_input_tokens;
        sum.output_tokens += b.output_tokens;
      }
      return sum;
    },
    clearCache() {
      cache.clear();
    },
    /** End every response still open (hanging replies). */
    destroyOpen() {
      for (const res of open) res.destroy();
    },
  };
}

/** @param {http.IncomingMessage} req @returns {Promise<Buffer>} */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const parts = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new RequestError(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.'));
      else parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export { RequestError };

/**
 * Listens on 127.0.0.1 (random port) with `handle`; a bug in a simulator becomes a 500 rather than a hang.
 * @param {(req: http.IncomingMessage, res: http.ServerResponse) => Promise<unknown>} handle
 */
export async function listen(handle) {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `simulator bug: ${err?.stack ?? err}` } }));
      } else res.destroy();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/**
 * Starts the fake Messages API on 127.0.0.1 (random port).
 * @param {FakeAnthropicOptions} [options]
 * @returns {Promise<FakeAnthropic>}
 */
export async function startFakeAnthropic(options = {}) {
  const engine = createMessagesEngine(options);

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   */
  async function handle(req, res) {
    if (new URL(req.url ?? '/', 'http://sim').pathname === '/v1/messages/count_tokens') return engine.count(req, res);
    const record = engine.begin(req, res);
    const sendError = (/** @type {number} */ status, /** @type {string} */ type, /** @type {string} */ message) => engine.sendError(res, record, status, type, message);
    if (record.path !== '/v1/messages') return sendError(404, 'not_found_error', `Not found: ${record.path}`);
    if (req.method !== 'POST') return sendError(405, 'invalid_request_error', `Method ${req.method} not allowed`);

    const bearer = /^Bearer\s+(\S+)/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!req.headers['x-api-key'] && !bearer) return sendError(401, 'authentication_error', 'x-api-key header is required');

    let rawBody;
    try {
      rawBody = await readBody(req);
    } catch (err) {
      if (err instanceof RequestError) return sendError(err.status, err.type, err.message);
      return; // the client went away
    }
    const betas = String(req.headers['anthropic-beta'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    record.betas = betas;
    let body;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return sendError(400, 'invalid_request_error', 'The request body is not valid JSON.');
    }
    record.body = body;
    if (!req.headers['anthropic-version']) return sendError(400, 'invalid_request_error', 'anthropic-version: header is required');
    await engine.respond(res, record, { body, betas, headers: req.headers });
  }

  const server = await listen(handle);
  return {
    url: server.url,
    requests: engine.requests,
    countRequests: engine.countRequests,
    billed: engine.billed,
    totals: engine.totals,
    clearCache: engine.clearCache,
    async close() {
      engine.destroyOpen();
      await server.close();
    },
  };
}
