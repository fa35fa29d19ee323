import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelFailure, type ModelCall, type ModelPort, type ModelResponse } from '../../src/agent/model.js';
import { CAPABILITIES, featuresOffAtStart, refusedFeature, withCapabilityFallback, withoutFeatures } from '../../src/agent/providers/capabilities.js';
import { CredentialVault, credentialPaths } from '../../src/agent/providers/credential-vault.js';

const BETA = 'task-budgets-2026-03-13';
const call = (): ModelCall => ({
  params: {
    model: 'eu.anthropic.claude-opus-4-7',
    max_tokens: 1000,
    system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
    cache_control: { type: 'ephemeral' },
    output_config: { effort: 'high', task_budget: { type: 'tokens', total: 50_000 } },
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'task' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'bash', input: { command: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'a.txt' }] },
    ],
  } as ModelCall['params'],
  betas: [BETA],
});
const bad = (message: string, status = 400) => new ModelFailure(`Amazon Bedrock rejected the request (${status}): ${message}`, 'fatal', { status });

describe('which feature a 400 refused, in each platform\'s words', () => {
  it.each([
    ['invalid beta flag', 'task-budget'],
    ['output_config.task_budget: Extra inputs are not permitted', 'task-budget'],
    [`Unexpected value(s) \`${BETA}\` for the \`anthropic-beta\` header`, 'task-budget'],
    ['Malformed input request: extraneous key [output_config.effort] is not permitted', 'effort'],
    ['cache_control: Extra inputs are not permitted', 'cache-control'],
    ['Malformed input request: extraneous key [cache_control] is not permitted', 'cache-control'],
    ['extraneous key [output_config] is not permitted', 'task-budget'],
  ])('%s → %s', (message, feature) => expect(refusedFeature(bad(message), call())).toBe(feature));

  it('names nothing for a 400 about something else, or for another status', () => {
    expect(refusedFeature(bad('prompt is too long: 1200000 tokens > 1000000 maximum'), call())).toBeUndefined();
    expect(refusedFeature(bad('invalid beta flag', 403), call())).toBeUndefined();
  });

  it('names only a feature the request carried', () => {
    const without = withoutFeatures(call(), new Set(['task-budget']));
    expect(refusedFeature(bad('invalid beta flag'), without)).toBeUndefined();
    expect(refusedFeature(bad('extraneous key [output_config] is not permitted'), without)).toBe('effort');
  });
});

describe('the request without switched-off features', () => {
  it('drops the task budget and its beta, keeping effort', () => {
    const c = withoutFeatures(call(), new Set(['task-budget']));
    expect(c.betas).toEqual([]);
    expect(c.params.output_config).toEqual({ effort: 'high' });
  });

  it('drops output_config when nothing is left in it', () => {
    expect(withoutFeatures(call(), new Set(['task-budget', 'effort'])).params.output_config).toBeUndefined();
  });

  it('turns top-level cache_control into a breakpoint on the newest block, leaving the conversation untouched', () => {
    const original = call();
    const c = withoutFeatures(original, new Set(['cache-control']));
    expect((c.params as { cache_control?: unknown }).cache_control).toBeUndefined();
    const last = c.params.messages.at(-1)!.content as { cache_control?: unknown }[];
    expect(last.at(-1)!.cache_control).toEqual({ type: 'ephemeral' });
    expect(JSON.stringify(original.params.messages)).not.toContain('cache_control');
  });
});

describe('the capability table', () => {
  it('switches off top-level cache_control up front only for legacy models on Bedrock InvokeModel', () => {
    expect(featuresOffAtStart('bedrock-invoke', 'claude-opus-4-6')).toEqual(['cache-control']);
    expect(featuresOffAtStart('bedrock-invoke', 'claude-haiku-4-5-20251001')).toEqual(['cache-control']);
    expect(featuresOffAtStart('bedrock-invoke', 'claude-sonnet-4-5')).toEqual(['cache-control']);
    expect(featuresOffAtStart('bedrock-invoke', 'claude-opus-4-7')).toEqual([]);
    expect(featuresOffAtStart('bedrock-mantle', 'claude-opus-4-6')).toEqual([]);
    expect(featuresOffAtStart('vertex', 'claude-opus-4-6')).toEqual([]);
  });

  it('sends everything to the Claude API and detects the rest', () => {
    expect(CAPABILITIES.anthropic).toEqual({ taskBudget: 'yes', effort: 'yes', cacheControl: 'yes', tokenCounting: 'yes' });
    for (const s of ['bedrock-invoke', 'bedrock-mantle', 'vertex', 'foundry'] as const) expect(CAPABILITIES[s].taskBudget).toBe('detect');
    for (const s of ['bedrock-invoke', 'bedrock-mantle', 'vertex', 'foundry'] as const) expect(CAPABILITIES[s].tokenCounting).toBe('no');
  });
});

describe('the fallback port', () => {
  const ok: ModelResponse = { message: { id: 'm', content: [], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } } as never };
  const options = { signal: new AbortController().signal, timeoutMs: 1000 };
  function platform(refuses: string[]) {
    const seen: ModelCall[] = [];
    const port: ModelPort = {
      async send(c) {
        seen.push(c);
        if (refuses.includes('task-budget') && c.betas.includes(BETA)) throw bad('invalid beta flag');
        if (refuses.includes('cache-control') && (c.params as { cache_control?: unknown }).cache_control) throw bad('extraneous key [cache_control] is not permitted');
        if (refuses.includes('everything')) throw bad('output_config.task_budget: Extra inputs are not permitted');
        return ok;
      },
    };
    return { port, seen };
  }
  const log = () => {
    const lines: string[] = [];
    return { lines, info: (m: string) => lines.push(m) };
  };

  it('re-sends without each refused feature, once, and keeps them off for every later request', async () => {
    const p = platform(['task-budget', 'cache-control']);
    const l = log();
    const model = withCapabilityFallback(p.port, { providerLabel: 'Amazon Bedrock', startOff: [], log: l });
    await model.send(call(), options);
    await model.send(call(), options);
    expect(p.seen.map((c) => [c.betas.length, Boolean((c.params as { cache_control?: unknown }).cache_control)])).toEqual([
      [1, true],
      [0, true],
      [0, false],
      [0, false],
    ]);
    expect(model.switchedOff()).toEqual(['task-budget', 'cache-control']);
    expect(l.lines[0]).toBe(
      'Amazon Bedrock refused the task budget (Amazon Bedrock rejected the request (400): invalid beta flag); re-sending without it: the budget countdown comes in the tool results instead (the hard cap is unchanged).',
    );
  });

  it('offers token counting only where the table says the platform counts', async () => {
    const counted: ModelCall[] = [];
    const counting = { ...platform([]).port, countTokens: async (c: ModelCall) => (counted.push(c), 42) };
    const on = withCapabilityFallback(counting, { providerLabel: 'the Claude API', startOff: ['cache-control'], log: log() });
    expect(await on.countTokens!(call(), options)).toBe(42);
    expect((counted[0].params as { cache_control?: unknown }).cache_control).toBeUndefined();
    const off = withCapabilityFallback(counting, { providerLabel: 'Google Vertex AI', startOff: [], counting: false, log: log() });
    expect(off.countTokens).toBeUndefined();
  });

  it('gives up like any 400 when the platform refuses again after the feature is off', async () => {
    const p = platform(['everything']);
    const model = withCapabilityFallback(p.port, { providerLabel: 'Google Vertex AI', startOff: [], log: log() });
    await expect(model.send(call(), options)).rejects.toThrow('Extra inputs are not permitted');
    expect(p.seen).toHaveLength(2);
  });

  it('switches off up front what the table says, and says so', async () => {
    const p = platform([]);
    const l = log();
    const model = withCapabilityFallback(p.port, { providerLabel: 'Amazon Bedrock', startOff: ['cache-control'], log: l });
    await model.send(call(), options);
    expect((p.seen[0].params as { cache_control?: unknown }).cache_control).toBeUndefined();
    expect(l.lines).toEqual(['Amazon Bedrock does not take top-level cache_control for this model: an explicit cache breakpoint on the newest block replaces automatic caching.']);
  });
});

describe('the credential vault', () => {
  const made: string[] = [];
  const tmp = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vault-test-'));
    made.push(dir);
    return dir;
  };
  afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('finds gha-creds files in the workspace and the files the environment names', () => {
    const ws = tmp();
    fs.writeFileSync(path.join(ws, 'gha-creds-3f9a0c.json'), '{}');
    fs.writeFileSync(path.join(ws, 'gha-creds.md'), 'not one');
    const paths = credentialPaths({ GOOGLE_APPLICATION_CREDENTIALS: '/elsewhere/key.json', AWS_WEB_IDENTITY_TOKEN_FILE: 'token' }, ws, ['/home/runner/.azure']);
    expect(paths.sort()).toEqual([path.join(ws, 'gha-creds-3f9a0c.json'), path.join(ws, 'token'), '/elsewhere/key.json', '/home/runner/.azure'].sort());
  });

  it('moves files and a session directory out of reach and puts them back exactly; logs stay', async () => {
    const base = tmp();
    const file = path.join(base, 'gha-creds-1.json');
    fs.writeFileSync(file, '{"type":"external_account"}', { mode: 0o600 });
    const azure = path.join(base, '.azure');
    fs.mkdirSync(path.join(azure, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(azure, 'msal_token_cache.json'), '{"AccessToken":{}}', { mode: 0o600 });
    fs.writeFileSync(path.join(azure, 'logs', 'az.log'), 'log');
    const vault = new CredentialVault([file, azure, path.join(base, 'missing.json')]);
    const restore = vault.hide();
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(azure)).toEqual(['logs']);
    // While hidden, a command that needs the session gets a private copy, removed afterwards.
    let copy = '';
    const seen = await vault.withPath(azure, async (dir) => {
      copy = dir;
      return fs.readFileSync(path.join(dir, 'msal_token_cache.json'), 'utf8');
    });
    expect(seen).toBe('{"AccessToken":{}}');
    expect(copy).not.toBe(azure);
    expect(fs.existsSync(copy)).toBe(false);
    restore();
    expect(fs.readFileSync(file, 'utf8')).toBe('{"type":"external_account"}');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(azure, 'msal_token_cache.json'), 'utf8')).toBe('{"AccessToken":{}}');
    expect(fs.existsSync(path.join(base, 'missing.json'))).toBe(false);
  });
});
