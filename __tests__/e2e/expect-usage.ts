/** Independent arithmetic for assertions: what the receipt must say, recomputed from what the fake API billed. */
export interface Billed {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** Opus 4.7 list prices, USD per million tokens. */
export const OPUS_47 = { input: 5, write5m: 6.25, read: 0.5, output: 25 };

export function expectedFigures(billed: Billed[], prices = OPUS_47) {
  let loop = 0;
  let prev: { t: number; o: number } | undefined;
  const sum = { input: 0, write: 0, read: 0, output: 0 };
  for (const b of billed) {
    const write = b.cache_creation_input_tokens ?? 0;
    const read = b.cache_read_input_tokens ?? 0;
    const t = b.input_tokens + write + read;
    loop += b.output_tokens + (prev ? Math.max(0, t - prev.t - prev.o) : 0);
    prev = { t, o: b.output_tokens };
    sum.input += b.input_tokens;
    sum.write += write;
    sum.read += read;
    sum.output += b.output_tokens;
  }
  const cost = (sum.input * prices.input + sum.write * prices.write5m + sum.read * prices.read + sum.output * prices.output) / 1e6;
  return { loop, ...sum, cost };
}
