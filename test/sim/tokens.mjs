// The simulator's tokenizer and the fixed costs it charges for request structure.
//
// Real tokenizers are opaque; the simulator only needs one that is deterministic, cheap, and
// behaves in the same direction: plain English/code packs several characters per token, while
// dense or non-ASCII data (base64, CJK, emoji) costs roughly a token per byte. Every figure the
// fake Messages API reports (`usage`) is derived from these functions, so tests and the bench
// can recompute them exactly.

/** Tokens charged per content block (text, thinking, tool_use, tool_result, image, system block,
 *  custom tool definition) for its type/boundary markers — on the input and on the output side. */
export const BLOCK_FRAMING_TOKENS = 3;

/** Tokens charged once per message for its role header. */
export const MESSAGE_FRAMING_TOKENS = 4;

/** Tokens after the last message that open the assistant's reply. They are never cacheable, so
 *  `input_tokens` is at least this even when automatic caching covers every block. */
export const PROMPT_TAIL_TOKENS = 3;

/** The tool-use system prompt the API adds whenever `tools` is non-empty. */
export const TOOL_USE_SYSTEM_PROMPT_TOKENS = 300;

/** Fixed definition cost of Anthropic-defined client tools, by `type` (figures from the docs). */
export const CLIENT_TOOL_TOKENS = Object.freeze({
  bash_20250124: 325,
  text_editor_20250728: 700,
});

/** Flat cost of an image block (input side), whatever its size. */
export const IMAGE_TOKENS = 1600;

/**
 * Deterministic token count of a string.
 * ASCII bytes cost 1/4 token each (rounded up over the whole string); every non-ASCII UTF-8 byte
 * costs a full token. So: countTokens(s) <= Buffer.byteLength(s) and countTokens(s) >= 1 for s !== ''.
 * @param {string} text
 * @returns {number}
 */
export function countTokens(text) {
  if (!text) return 0;
  const { ascii, other } = byteClasses(String(text), Infinity);
  return Math.ceil(ascii / 4) + other;
}

/**
 * UTF-8 byte counts of a string, split into ASCII and non-ASCII bytes, walking UTF-16 code units (no Buffer:
 * the simulator measures every request, and requests carry megabytes of history).
 * Stops before the code point at which `limit` code units would be passed.
 * @param {string} s
 * @param {number} limit
 */
function byteClasses(s, limit) {
  let ascii = 0;
  let other = 0;
  const n = Math.min(s.length, limit);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) ascii++;
    else if (c < 0x800) other += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      other += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else other += 3;
  }
  return { ascii, other };
}

/**
 * The longest prefix of `text` (whole code points) that costs at most `maxTokens`.
 * Used to cut text/thinking exactly at `max_tokens`.
 * @param {string} text
 * @param {number} maxTokens
 * @returns {string}
 */
export function truncateToTokens(text, maxTokens) {
  if (maxTokens <= 0) return '';
  if (countTokens(text) <= maxTokens) return text;
  // One pass: the cost of a prefix is ceil(ascii / 4) + other, monotone in its length.
  let ascii = 0;
  let other = 0;
  let cut = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    let width = 1;
    if (c < 0x80) ascii++;
    else if (c < 0x800) other += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      other += 4;
      width = 2;
    } else other += 3;
    if (Math.ceil(ascii / 4) + other > maxTokens) break;
    i += width;
    cut = i;
  }
  return text.slice(0, cut);
}
