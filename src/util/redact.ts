/**
 * Outbound redaction: every text that leaves taskcap (tool results to the model, logs, commit messages, PR and
 * comment bodies) passes through here. Known secrets are replaced in their plain form and in the simple
 * encodings an injected agent might use to slip them past a scanner; token-shaped strings are replaced too.
 */

const MASK = '***';
/** Needles shorter than this would redact ordinary text. */
const MIN_NEEDLE = 8;

/** Token shapes worth hiding even when the value is not one of ours. */
const TOKEN_PATTERNS: RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{16,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

/** Base64 runs that encode `secret` wherever it sits in a larger text: one stable middle part per alignment. */
function base64Needles(secret: string): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.from('\0'.repeat(offset) + secret, 'utf8').toString('base64');
    // Characters touched by the padding prefix or by whatever follows the secret are unstable: drop them.
    const start = Math.ceil((offset * 4) / 3) + (offset > 0 ? 1 : 0);
    const stableEnd = Math.floor(((offset + Buffer.byteLength(secret)) * 4) / 3) - 1;
    const middle = encoded.slice(start, Math.max(start, stableEnd));
    if (middle.length >= MIN_NEEDLE) {
      out.push(middle, middle.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return out;
}

export class Redactor {
  private needles: string[] = [];

  /** Register a secret value; its encodings are registered with it. */
  add(secret: string | undefined): this {
    if (!secret || secret.length < MIN_NEEDLE) return this;
    const hex = Buffer.from(secret, 'utf8').toString('hex');
    const variants = [
      secret,
      [...secret].reverse().join(''),
      encodeURIComponent(secret),
      hex,
      hex.toUpperCase(),
      Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, ''),
      ...base64Needles(secret),
    ];
    this.needles = [...new Set([...this.needles, ...variants.filter((v) => v.length >= MIN_NEEDLE)])].sort((a, b) => b.length - a.length);
    return this;
  }

  redact(text: string): string {
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(MASK);
    for (const re of TOKEN_PATTERNS) out = out.replace(re, MASK);
    return out;
  }

  /** True when the text holds a known secret (in any registered form) or a token-shaped string. */
  leaks(text: string): boolean {
    return this.needles.some((n) => text.includes(n)) || TOKEN_PATTERNS.some((re) => new RegExp(re.source).test(text));
  }
}
