// When taskcap asks for an exact count, and what it does when counting is missing, fails or is slow. The real SDK
// against the simulator's count_tokens is covered end to end (cost-cap.test.ts) and by the property runs.
import { describe, expect, it } from '@jest/globals';
import { ModelFailure, type ModelCall, type ModelPort } from '../../src/agent/model.js';
import { countMargin, MIN_COUNT_SLACK, ROOMY_OUTPUT, TokenCounter, worthCounting } from '../../src/agent/token-counter.js';
import { recordingLog } from '../../test/support/logs.js';

const call = { params: { model: 'claude-opus-4-7', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }, betas: [] } as unknown as ModelCall;
const noSend: ModelPort['send'] = () => Promise.reject(new Error('not used'));
const signal = () => new AbortController().signal;

describe('worthCounting', () => {
  it('asks only when the byte bound binds (a refused request, or little room to write) and a count could win enough back', () => {
    expect(worthCounting({ send: true, maxTokens: ROOMY_OUTPUT, limit: 'budget' }, 10_000)).toBe(false);
    expect(worthCounting({ send: true, maxTokens: ROOMY_OUTPUT - 1, limit: 'cost' }, 10_000)).toBe(true);
    expect(worthCounting({ send: false, limit: 'cost' }, MIN_COUNT_SLACK)).toBe(true);
    expect(worthCounting({ send: false, limit: 'cost' }, MIN_COUNT_SLACK - 1)).toBe(false);
  });

  it('plans a little above the count (it is documented as an estimate)', () => {
    expect(countMargin(10_000)).toBe(116);
    expect(countMargin(0)).toBe(16);
  });
});

describe('TokenCounter', () => {
  it('is unavailable for a provider that cannot count, and asks nothing', async () => {
    const counter = new TokenCounter({ send: noSend }, recordingLog());
    expect(counter.available).toBe(false);
    expect(await counter.count(call, signal())).toBeUndefined();
    expect(counter.stats).toEqual({ calls: 0, failures: 0 });
  });

  it('returns the count, and after a failure switches counting off for the rest of the run', async () => {
    const answers: (number | ModelFailure)[] = [1_234, new ModelFailure('the Anthropic API answered 529: Overloaded', 'transient'), 99];
    let asked = 0;
    const log = recordingLog();
    const counter = new TokenCounter({ send: noSend, countTokens: async () => { const a = answers[asked++]; if (a instanceof ModelFailure) throw a; return a; } }, log);
    expect(await counter.count(call, signal())).toBe(1_234);
    expect(await counter.count(call, signal())).toBeUndefined();
    expect(await counter.count(call, signal())).toBeUndefined();
    expect(asked).toBe(2);
    expect(counter.stats).toEqual({ calls: 2, failures: 1, stoppedBecause: 'the Anthropic API answered 529: Overloaded' });
    expect(log.lines.join('\n')).toContain('Token counting failed (the Anthropic API answered 529: Overloaded); planning with byte bounds for the rest of the run (the caps stay hard).');
  });

  it('gives up on a slow count after its timeout, and does not wait for it again', async () => {
    let asked = 0;
    const slow: ModelPort = {
      send: noSend,
      countTokens: (_c, { signal: s }) =>
        new Promise((_resolve, reject) => {
          asked++;
          s.addEventListener('abort', () => reject(new ModelFailure('request aborted', 'aborted')));
        }),
    };
    const counter = new TokenCounter(slow, recordingLog(), 50);
    const started = Date.now();
    expect(await counter.count(call, signal())).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(counter.stats.stoppedBecause).toBe('no answer within 0.05 s');
    expect(await counter.count(call, signal())).toBeUndefined();
    expect(asked).toBe(1);
  });

  it('treats an answer that is not a token count as a failure', async () => {
    const counter = new TokenCounter({ send: noSend, countTokens: async () => -1 }, recordingLog());
    expect(await counter.count(call, signal())).toBeUndefined();
    expect(counter.available).toBe(false);
  });
});
