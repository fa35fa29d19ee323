// The Messages API simulator, driven by the REAL @anthropic-ai/sdk@1.14.0 through baseURL:
// wire format, usage arithmetic (incl. the prompt-cache model), max_tokens, validation, errors.
import { afterEach, describe, expect, test } from '@jest/globals';
import Anthropic, {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  OverloadedError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import {
  bash,
  create,
  measureRequest,
  sequence,
  startFakeAnthropic,
  strReplace,
  text,
  thinking,
  view,
  type FakeAnthropic,
  type FakeAnthropicOptions,
} from '../../test/sim/anthropic.mjs';
import {
  BLOCK_FRAMING_TOKENS,
  CLIENT_TOOL_TOKENS,
  countTokens,
  MESSAGE_FRAMING_TOKENS,
  PROMPT_TAIL_TOKENS,
  TOOL_USE_SYSTEM_PROMPT_TOKENS,
  truncateToTokens,
} from '../../test/sim/tokens.mjs';

type StreamParams = Parameters<Anthropic['beta']['messages']['stream']>[0];
type Message = StreamParams['messages'][number];

const SYSTEM = 'You are taskcap, a careful engineer working in a CI checkout of the repository. '.repeat(6);
const TASK = 'Fix the failing test in src/add.js.';

/** The request shape the action sends: task budget beta, both client tools, system + automatic caching. */
function params(messages: Message[], overrides: Partial<StreamParams> = {}): StreamParams {
  return {
    model: 'claude-opus-4-7',
    max_tokens: 4096,
    betas: ['task-budgets-2026-03-13'],
    output_config: { effort: 'high', task_budget: { type: 'tokens', total: 50000 } },
    tools: [
      { type: 'bash_20250124', name: 'bash' },
      { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
    ],
    system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }],
    cache_control: { type: 'ephemeral' },
    messages,
    ...overrides,
  };
}

const usageOf = (u: { input_tokens: number; cache_creation_input_tokens: number | null; cache_read_input_tokens: number | null; output_tokens: number }) => ({
  input_tokens: u.input_tokens,
  cache_creation_input_tokens: u.cache_creation_input_tokens,
  cache_read_input_tokens: u.cache_read_input_tokens,
  output_tokens: u.output_tokens,
});
const promptTotal = (u: { input_tokens: number; cache_creation_input_tokens: number | null; cache_read_input_tokens: number | null }) =>
  u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(options: FakeAnthropicOptions) {
  fake = await startFakeAnthropic(options);
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
  return { fake, client };
}

describe('the simulator tokenizer', () => {
  test('ASCII is 1/4 token per byte (ceil), other UTF-8 bytes 1 token each', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('a')).toBe(1);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
    expect(countTokens('é')).toBe(2); // 2 UTF-8 bytes
    expect(countTokens('ab€')).toBe(1 + 3);
  });

  test('never above the byte length, at least 1 for non-empty text', () => {
    const samples = ['x', ' ', 'hello world', '日本語のテキスト', '🙂🙂', 'QUJD'.repeat(50), 'mixed ascii + ünïcödé', '\n\t'];
    for (const s of samples) {
      expect(countTokens(s)).toBeLessThanOrEqual(Buffer.byteLength(s, 'utf8'));
      expect(countTokens(s)).toBeGreaterThanOrEqual(1);
    }
  });

  test('truncateToTokens keeps the longest prefix within the limit', () => {
    const s = 'abcdefghij'.repeat(10);
    expect(truncateToTokens(s, 5)).toBe(s.slice(0, 20));
    expect(truncateToTokens('日本語', 3)).toBe('日');
    expect(truncateToTokens(s, 1000)).toBe(s);
  });
});

describe('streaming through the real SDK', () => {
  test('assembles thinking + text + tool_use, reports usage equal to billed', async () => {
    const { fake, client } = await setup({
      cacheMinTokens: 1024,
      script: () => ({ content: [thinking('The test expects add(2, 2) to be 4.'), text('Let me look at the file.'), view('src/add.js', [1, 20])] }),
    });
    const stream = client.beta.messages.stream(params([{ role: 'user', content: TASK }]));
    const textDeltas: string[] = [];
    stream.on('text', (delta) => textDeltas.push(delta));
    const message = await stream.finalMessage();

    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'The test expects add(2, 2) to be 4.', signature: expect.any(String) },
      { type: 'text', text: 'Let me look at the file.' },
      { type: 'tool_use', id: expect.any(String), name: 'str_replace_based_edit_tool', input: { command: 'view', path: 'src/add.js', view_range: [1, 20] } },
    ]);
    expect(textDeltas.length).toBeGreaterThan(1); // text arrives in several deltas
    expect(textDeltas.join('')).toBe('Let me look at the file.');
    expect(message.stop_reason).toBe('tool_use');
    expect(stream.request_id).toBe('req_sim_0');

    // What went over the wire
    const req = fake.requests[0];
    expect(req.headers.authorization).toBe('Bearer sk-ant-test');
    expect(req.betas).toEqual(['task-budgets-2026-03-13']);
    expect(req.body.stream).toBe(true);
    expect(req.body.betas).toBeUndefined();
    expect(req.body.output_config).toEqual({ effort: 'high', task_budget: { type: 'tokens', total: 50000 } });

    // Usage, recomputed independently from the documented model.
    const tools = TOOL_USE_SYSTEM_PROMPT_TOKENS + CLIENT_TOOL_TOKENS.bash_20250124 + CLIENT_TOOL_TOKENS.text_editor_20250728;
    const system = BLOCK_FRAMING_TOKENS + countTokens(SYSTEM);
    const user = MESSAGE_FRAMING_TOKENS + BLOCK_FRAMING_TOKENS + countTokens(TASK);
    const total = tools + system + user + PROMPT_TAIL_TOKENS;
    const output =
      BLOCK_FRAMING_TOKENS * 3 +
      countTokens('The test expects add(2, 2) to be 4.') +
      countTokens('Let me look at the file.') +
      countTokens('str_replace_based_edit_tool' + JSON.stringify({ command: 'view', path: 'src/add.js', view_range: [1, 20] }));
    // Empty cache; automatic caching puts the last breakpoint on the last block: all but the tail is written.
    expect(usageOf(message.usage)).toEqual({
      input_tokens: PROMPT_TAIL_TOKENS,
      cache_creation_input_tokens: total - PROMPT_TAIL_TOKENS,
      cache_read_input_tokens: 0,
      output_tokens: output,
    });
    expect(message.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: total - PROMPT_TAIL_TOKENS, ephemeral_1h_input_tokens: 0 });
    expect(message.usage.output_tokens_details).toEqual({ thinking_tokens: BLOCK_FRAMING_TOKENS + countTokens('The test expects add(2, 2) to be 4.') });
    expect(fake.billed).toHaveLength(1);
    expect(usageOf(fake.billed[0])).toEqual(usageOf(message.usage));
    expect(fake.billed[0].complete).toBe(true);
    expect(measureRequest(req.body).totalTokens).toBe(total);
  });

  test('non-streaming create() gets the same message as JSON', async () => {
    const { fake, client } = await setup({ script: () => ({ content: [text('Done.')] }) });
    const { cache_control: _unused, ...rest } = params([{ role: 'user', content: TASK }]);
    const message = await client.beta.messages.create({ ...rest, max_tokens: 1024, stream: false });
    expect(message.content).toEqual([{ type: 'text', text: 'Done.' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(usageOf(message.usage)).toEqual(usageOf(fake.billed[0]));
    expect(fake.requests[0].body.stream).toBe(false);
    expect(message._request_id).toBe('req_sim_0');
  });
});

describe('max_tokens', () => {
  test('text is cut at exactly max_tokens', async () => {
    const long = 'The fix is to return a + b instead of a - b. '.repeat(20);
    const { client } = await setup({ script: () => ({ content: [text(long)] }) });
    const message = await client.beta.messages.stream(params([{ role: 'user', content: TASK }], { max_tokens: 40 })).finalMessage();
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(40);
    const cut = (message.content[0] as { text: string }).text;
    expect(long.startsWith(cut)).toBe(true);
    expect(cut.length).toBeGreaterThan(0);
    expect(BLOCK_FRAMING_TOKENS + countTokens(cut)).toBeLessThanOrEqual(40);
    expect(BLOCK_FRAMING_TOKENS + countTokens(cut)).toBeGreaterThanOrEqual(39);
  });

  test('a tool_use that does not fit whole is dropped', async () => {
    const { client } = await setup({ script: () => ({ content: [text('Writing the file.'), create('src/big.js', 'x'.repeat(400))] }) });
    const message = await client.beta.messages.stream(params([{ role: 'user', content: TASK }], { max_tokens: 30 })).finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'Writing the file.' }]);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(30);
  });
});

describe('prompt caching', () => {
  test('a 3-request agent conversation reads its prefix from cache', async () => {
    const { fake, client } = await setup({
      cacheMinTokens: 1024,
      script: sequence(
        { content: [thinking('Read the file first.'), text('Looking at the code.'), bash('cat src/add.js')] },
        { content: [strReplace('src/add.js', 'return a - b;', 'return a + b;')] },
        { content: [text('Fixed: add() now adds.')] },
      ),
    });
    const messages: Message[] = [{ role: 'user', content: TASK }];
    const results = ['export function add(a, b) {\n  return a - b;\n}\n', 'The file has been edited.'];
    const usages = [];
    for (let turn = 0; turn < 3; turn++) {
      const message = await client.beta.messages.stream(params(messages)).finalMessage();
      usages.push(message.usage);
      if (turn < 2) {
        const toolUse = message.content.find((b) => b.type === 'tool_use');
        if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use');
        messages.push({ role: 'assistant', content: message.content });
        messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: results[turn] }] });
      } else {
        expect(message.content).toEqual([{ type: 'text', text: 'Fixed: add() now adds.' }]);
      }
    }

    const totals = fake.requests.map((r) => measureRequest(r.body).totalTokens);
    usages.forEach((u, k) => {
      // Always: input + cache writes + cache reads = the whole prompt.
      expect(promptTotal(u)).toBe(totals[k]);
      expect(u.input_tokens).toBe(PROMPT_TAIL_TOKENS);
    });
    expect(usages[0].cache_read_input_tokens).toBe(0);
    for (const k of [1, 2]) {
      // The previous request's automatic breakpoint is read back; only the new turn is written.
      expect(usages[k].cache_read_input_tokens).toBe(totals[k - 1] - PROMPT_TAIL_TOKENS);
      expect(usages[k].cache_creation_input_tokens).toBe(totals[k] - totals[k - 1]);
      // New content = the assistant turn (its output tokens + role header) + the tool_result turn.
      const resultTurn = MESSAGE_FRAMING_TOKENS + BLOCK_FRAMING_TOKENS + countTokens(results[k - 1]);
      expect(totals[k] - totals[k - 1]).toBe(usages[k - 1].output_tokens + MESSAGE_FRAMING_TOKENS + resultTurn);
    }
    expect(fake.totals()).toEqual({
      input_tokens: usages.reduce((n, u) => n + u.input_tokens, 0),
      cache_creation_input_tokens: usages.reduce((n, u) => n + (u.cache_creation_input_tokens ?? 0), 0),
      cache_read_input_tokens: usages.reduce((n, u) => n + (u.cache_read_input_tokens ?? 0), 0),
      output_tokens: usages.reduce((n, u) => n + u.output_tokens, 0),
    });
  });

  test('changing the task budget invalidates the cache; tools + system alone still hit without it', async () => {
    const { client } = await setup({ cacheMinTokens: 1024, script: () => ({ content: [text('ok')] }) });
    const first = await client.beta.messages.stream(params([{ role: 'user', content: TASK }])).finalMessage();
    const changed = await client.beta.messages
      .stream(params([{ role: 'user', content: TASK }], { output_config: { effort: 'high', task_budget: { type: 'tokens', total: 60000 } } }))
      .finalMessage();
    expect(changed.usage.cache_read_input_tokens).toBe(0);
    // Tools are before the budget in the prefix but carry no breakpoint of their own, so nothing is readable.
    expect(changed.usage.cache_creation_input_tokens).toBe(first.usage.cache_creation_input_tokens);
  });

  test('prefixes shorter than cacheMinTokens are neither written nor read', async () => {
    const { client } = await setup({ cacheMinTokens: 100_000, script: () => ({ content: [text('ok')] }) });
    for (let i = 0; i < 2; i++) {
      const m = await client.beta.messages.stream(params([{ role: 'user', content: TASK }])).finalMessage();
      expect(m.usage.cache_creation_input_tokens).toBe(0);
      expect(m.usage.cache_read_input_tokens).toBe(0);
      expect(m.usage.input_tokens).toBe(promptTotal(m.usage));
    }
  });

  test("the minimum is the model's own: the same ~1,900-token prompt caches on Sonnet 4.6, not on Opus 4.7 or Haiku 4.5", async () => {
    const { client } = await setup({ script: () => ({ content: [text('ok')] }) });
    const written = async (model: string) => {
      const m = await client.beta.messages.stream(params([{ role: 'user', content: TASK }], { model, betas: [], output_config: {} })).finalMessage();
      return m.usage.cache_creation_input_tokens;
    };
    const prompt = measureRequest(params([{ role: 'user', content: TASK }], { betas: [], output_config: {} })).totalTokens;
    expect(prompt).toBeGreaterThan(1024);
    expect(prompt).toBeLessThan(2048);
    expect(await written('claude-sonnet-4-6')).toBeGreaterThan(0);
    expect(await written('claude-opus-4-7')).toBe(0);
    expect(await written('claude-haiku-4-5')).toBe(0);
  });

  test('a 1h breakpoint writes its stretch as 1h, the rest as 5m', async () => {
    const { client } = await setup({ cacheMinTokens: 1024, script: () => ({ content: [text('ok')] }) });
    const m = await client.beta.messages
      .stream(params([{ role: 'user', content: TASK }], { system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral', ttl: '1h' } }] }))
      .finalMessage();
    const tools = TOOL_USE_SYSTEM_PROMPT_TOKENS + CLIENT_TOOL_TOKENS.bash_20250124 + CLIENT_TOOL_TOKENS.text_editor_20250728;
    const hour = tools + BLOCK_FRAMING_TOKENS + countTokens(SYSTEM);
    expect(m.usage.cache_creation).toEqual({
      ephemeral_1h_input_tokens: hour,
      ephemeral_5m_input_tokens: MESSAGE_FRAMING_TOKENS + BLOCK_FRAMING_TOKENS + countTokens(TASK),
    });
  });
});

describe('token counting (POST /v1/messages/count_tokens)', () => {
  const conversation: Message[] = [
    { role: 'user', content: TASK },
    { role: 'assistant', content: [{ type: 'text', text: 'Reading the file.' }] },
    { role: 'user', content: 'Go on: here is a longer note with ünïcödé and 日本語 in it.' },
  ];
  const countParams = (p: StreamParams) => {
    const { max_tokens: _drop, ...rest } = p;
    return rest;
  };

  test('counts exactly the prompt the same request bills, through the real SDK, without calling the script', async () => {
    let scripted = 0;
    const { fake, client } = await setup({ script: () => (scripted++, { content: [text('ok')] }) });
    const counted = await client.beta.messages.countTokens(countParams(params(conversation)));
    expect(scripted).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(fake.countRequests).toHaveLength(1);
    expect(fake.countRequests[0].betas).toContain('task-budgets-2026-03-13');
    const billed = await client.beta.messages.stream(params(conversation)).finalMessage();
    expect(counted.input_tokens).toBe(promptTotal(billed.usage));
    expect(counted.input_tokens).toBe(measureRequest(fake.requests[0].body).totalTokens);
  });

  test('rejects generation settings such as max_tokens with a 400', async () => {
    const { fake } = await setup({});
    const res = await fetch(`${fake.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'k' },
      body: JSON.stringify({ model: 'claude-opus-4-7', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'max_tokens: Extra inputs are not permitted' } });
  });

  test('countScript can fail a count or make it slow', async () => {
    const { client } = await setup({
      countScript: (_r, i) => (i === 0 ? { error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } } : { delayMs: 300 }),
    });
    await expect(client.beta.messages.countTokens(countParams(params(conversation)))).rejects.toBeInstanceOf(OverloadedError);
    await expect(client.beta.messages.countTokens(countParams(params(conversation)), { timeout: 50 })).rejects.toBeInstanceOf(APIConnectionTimeoutError);
  });
});

describe('request validation (400 invalid_request_error, script never called)', () => {
  const toolUse = { type: 'tool_use', id: 'toolu_1', name: 'bash', input: { command: 'ls' } };
  const result = { type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt' };
  const cc = { type: 'ephemeral' };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['first message not from the user', { messages: [{ role: 'assistant', content: 'Hi' }, { role: 'user', content: TASK }] }, /first message must use the "user" role/],
    ['roles not alternating', { messages: [{ role: 'user', content: TASK }, { role: 'user', content: 'again' }] }, /roles must alternate/],
    [
      'tool_use without a tool_result in the next message',
      { messages: [{ role: 'user', content: TASK }, { role: 'assistant', content: [toolUse] }, { role: 'user', content: 'go on' }] },
      /`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1/,
    ],
    [
      'tool_result without a matching tool_use',
      { messages: [{ role: 'user', content: TASK }, { role: 'assistant', content: 'ok' }, { role: 'user', content: [result] }] },
      /unexpected `tool_use_id` found in `tool_result` blocks: toolu_1/,
    ],
    [
      'text before the tool_result',
      { messages: [{ role: 'user', content: TASK }, { role: 'assistant', content: [toolUse] }, { role: 'user', content: [{ type: 'text', text: 'note' }, result] }] },
      /tool_result blocks must come first/,
    ],
    ['task_budget without the beta header', { betas: [] }, /requires the `anthropic-beta: task-budgets-2026-03-13` header/],
    ['task_budget on an unsupported model', { model: 'claude-sonnet-5' }, /not supported for model 'claude-sonnet-5'/],
    ['task_budget below 20000', { output_config: { effort: 'high', task_budget: { type: 'tokens', total: 19999 } } }, /at least 20000/],
    [
      'five cache breakpoints',
      {
        tools: [
          { type: 'bash_20250124', name: 'bash', cache_control: cc },
          { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', cache_control: cc },
        ],
        messages: [{ role: 'user', content: [{ type: 'text', text: TASK, cache_control: cc }] }],
      },
      /maximum of 4 blocks with cache_control.*Found 5/,
    ],
    ['max_tokens below 1', { max_tokens: 0 }, /max_tokens/],
    ['max_tokens missing', { max_tokens: undefined }, /max_tokens: Field required/],
    ['an unknown tool type', { tools: [{ type: 'text_editor_20250124', name: 'str_replace_editor' }] }, /tools\.0/],
  ];

  test.each(cases)('%s', async (_name, change, message) => {
    let calls = 0;
    const { fake, client } = await setup({ script: () => (calls++, { content: [text('unreachable')] }) });
    const request = { ...params([{ role: 'user', content: TASK }]), ...change } as unknown as StreamParams;
    const error = await client.beta.messages.stream(request).finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    const e = error as BadRequestError;
    expect(e.status).toBe(400);
    expect(e.type).toBe('invalid_request_error');
    expect(e.apiMessage).toMatch(message);
    expect(e.requestID).toBe('req_sim_0');
    expect(calls).toBe(0);
    expect(fake.billed).toEqual([]);
    expect(fake.requests[0].response.status).toBe(400);
  });

  test('an edited thinking block is rejected (signature check)', async () => {
    const { client } = await setup({ script: sequence({ content: [thinking('plan'), bash('ls')] }) });
    const first = await client.beta.messages.stream(params([{ role: 'user', content: TASK }])).finalMessage();
    const tampered = first.content.map((b) => (b.type === 'thinking' ? { ...b, thinking: 'a different plan' } : b));
    const toolUse = first.content.find((b) => b.type === 'tool_use');
    const error = await client.beta.messages
      .stream(
        params([
          { role: 'user', content: TASK },
          { role: 'assistant', content: tampered },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse?.type === 'tool_use' ? toolUse.id : '', content: 'x' }] },
        ]),
      )
      .finalMessage()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).apiMessage).toMatch(/Invalid `signature` in `thinking` block/);
  });
});

describe('errors and broken streams', () => {
  test('529 → OverloadedError with requestID; nothing billed', async () => {
    const { fake, client } = await setup({ script: () => ({ error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } }) });
    const error = await client.beta.messages.stream(params([{ role: 'user', content: TASK }])).finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverloadedError);
    expect((error as OverloadedError).status).toBe(529);
    expect((error as OverloadedError).requestID).toBe('req_sim_0');
    expect(fake.billed).toEqual([]);
  });

  test('429 carries headers and error_code', async () => {
    const { client } = await setup({
      script: () => ({
        error: { status: 429, type: 'rate_limit_error', message: 'Spend limit reached', errorCode: 'enforced_spend_limit_reached', headers: { 'x-should-retry': 'false' } },
      }),
    });
    const error = (await client.beta.messages.stream(params([{ role: 'user', content: TASK }])).finalMessage().catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.errorCode).toBe('enforced_spend_limit_reached');
    expect(error.headers?.get('x-should-retry')).toBe('false');
  });

  test('SSE error event mid-stream → APIError (no status); billed = what message_start reported', async () => {
    const { fake, client } = await setup({
      script: () => ({ content: [text('Starting work.'), bash('ls')], streamError: { afterBlocks: 1, type: 'overloaded_error', message: 'Overloaded' } }),
    });
    const stream = client.beta.messages.stream(params([{ role: 'user', content: TASK }]));
    const seen: string[] = [];
    stream.on('text', (t) => seen.push(t));
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).not.toBeInstanceOf(OverloadedError);
    expect((error as APIError).status).toBeUndefined();
    expect((error as APIError).type).toBe('overloaded_error');
    expect(seen.join('')).toBe('Starting work.');
    expect(fake.billed).toHaveLength(1);
    expect(fake.billed[0]).toMatchObject({ complete: false, output_tokens: 1 });
    expect(promptTotal(fake.billed[0])).toBe(measureRequest(fake.requests[0].body).totalTokens);
  });

  test('socket dropped mid-stream → stream error (not an APIError)', async () => {
    const { fake, client } = await setup({ script: () => ({ content: [text('Starting work.'), bash('ls')], drop: { afterBlocks: 1 } }) });
    const error = await client.beta.messages.stream(params([{ role: 'user', content: TASK }])).finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnthropicError);
    expect(error).not.toBeInstanceOf(APIError);
    expect((error as Error).message).toMatch(/terminated/);
    expect(fake.billed).toHaveLength(1);
    expect(fake.billed[0]).toMatchObject({ complete: false, output_tokens: 1 });
  });

  test('socket dropped before any response → APIConnectionError', async () => {
    const { fake, client } = await setup({ script: () => ({ drop: { beforeHeaders: true } }) });
    const error = await client.beta.messages.stream(params([{ role: 'user', content: TASK }])).finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(fake.billed).toEqual([]);
  });

  test('a hanging request ends with the client timeout', async () => {
    const { fake, client } = await setup({ script: () => ({ hang: true }) });
    const error = await client.beta.messages
      .stream(params([{ role: 'user', content: TASK }]), { timeout: 300 })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
    expect(fake.requests).toHaveLength(1);
    expect(fake.billed).toEqual([]);
  });

  test('a throwing script → 500 api_error, error kept in requests[i].scriptError', async () => {
    const { fake, client } = await setup({
      script: () => {
        throw new Error('no reply scripted for this turn');
      },
    });
    const error = await client.beta.messages.stream(params([{ role: 'user', content: TASK }])).finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(500);
    expect(String(fake.requests[0].scriptError)).toMatch(/no reply scripted/);
  });
});

describe('HTTP surface', () => {
  const body = JSON.stringify({ model: 'claude-opus-4-7', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });

  test('missing auth → 401 authentication_error with request-id', async () => {
    const { fake } = await setup({ script: () => ({ content: [text('hi')] }) });
    const res = await fetch(`${fake.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body });
    expect(res.status).toBe(401);
    expect(res.headers.get('request-id')).toBe('req_sim_0');
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) }, request_id: 'req_sim_0' });
  });

  test('SDK without a key never reaches the model; x-api-key is accepted', async () => {
    const { fake } = await setup({ script: () => ({ content: [text('hi')] }) });
    const noKey = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0, defaultHeaders: { Authorization: null } });
    await expect(noKey.messages.create({ model: 'claude-opus-4-7', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-test' },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn' });
  });

  test('paths other than /v1/messages and /v1/messages/count_tokens are 404', async () => {
    const { fake } = await setup({});
    const res = await fetch(`${fake.url}/v1/models`, { headers: { 'x-api-key': 'k' } });
    expect(res.status).toBe(404);
  });
});
