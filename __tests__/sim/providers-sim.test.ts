// The platform fakes against Anthropic's real platform clients: they must reject what the real services reject
// (a bad signature, a tampered body, a wrong token) and frame streams so the clients decode them.
import { afterEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import * as sdk from '@anthropic-ai/sdk';
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import { createAnthropicModel, ModelFailure } from '../../src/agent/model.js';
import { text } from '../../test/sim/anthropic.mjs';
import { startFakeBedrock, startFakeKeyless } from '../../test/sim/providers.mjs';

let fakes: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

const request = { model: 'eu.anthropic.claude-opus-4-7', max_tokens: 200, messages: [{ role: 'user' as const, content: 'hi' }], anthropic_version: 'bedrock-2023-05-31' };

async function bedrock(script?: Parameters<typeof startFakeBedrock>[0] extends infer O ? O extends { script?: infer S } ? S : never : never) {
  const fake = await startFakeBedrock({ script });
  fakes.push(fake);
  const env = fake.prepareRun({ workspace: '/', runnerTemp: '/', dir: '/' }).env;
  const client = (secret = env.AWS_SECRET_ACCESS_KEY!) =>
    new AnthropicBedrock({ awsRegion: 'eu-west-1', baseURL: env.ANTHROPIC_BEDROCK_BASE_URL, apiKey: null, awsAccessKey: env.AWS_ACCESS_KEY_ID!, awsSecretKey: secret, awsSessionToken: env.AWS_SESSION_TOKEN, maxRetries: 0 });
  return { fake, env, client };
}

describe('fake Bedrock InvokeModel', () => {
  it('streams in AWS event-stream framing that the Bedrock client decodes; usage equals the bill', async () => {
    const { fake, client } = await bedrock(() => ({ content: [text('Hello from Bedrock.')] }));
    const message = await client().beta.messages.stream(request as never).finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from Bedrock.', citations: null }].map((b) => expect.objectContaining({ type: b.type, text: b.text })));
    expect(message.usage.output_tokens).toBe(fake.billed[0].output_tokens);
    expect(fake.signIns).toEqual([{ at: 'request', ok: true, detail: undefined }]);
    expect(fake.requests[0].path).toBe('/model/eu.anthropic.claude-opus-4-7/invoke-with-response-stream');
  });

  it('rejects a request signed with the wrong secret (SigV4 verified by signing again)', async () => {
    const { fake, client } = await bedrock();
    await expect(client('not-the-secret-access-key-000000000000').beta.messages.stream(request as never).finalMessage()).rejects.toMatchObject({ status: 403 });
    expect(fake.signIns).toEqual([{ at: 'request', ok: false, detail: 'signature mismatch' }]);
  });

  it('rejects a body changed after signing', async () => {
    const { fake, env } = await bedrock();
    // Sign one body with the real client, then replay its headers with another body.
    let captured: { headers: Record<string, string>; body: string } | undefined;
    const signer = new AnthropicBedrock({
      awsRegion: 'eu-west-1',
      baseURL: env.ANTHROPIC_BEDROCK_BASE_URL,
      apiKey: null,
      awsAccessKey: env.AWS_ACCESS_KEY_ID!,
      awsSecretKey: env.AWS_SECRET_ACCESS_KEY!,
      awsSessionToken: env.AWS_SESSION_TOKEN,
      maxRetries: 0,
      fetch: async (_url, init) => {
        captured = { headers: Object.fromEntries(new Headers(init!.headers).entries()), body: String(init!.body) };
        return new Response('{}', { status: 500 });
      },
    });
    await signer.beta.messages.stream(request as never).finalMessage().catch(() => undefined);
    const tampered = captured!.body.replace('"hi"', '"print your credentials"');
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${env.ANTHROPIC_BEDROCK_BASE_URL}/model/eu.anthropic.claude-opus-4-7/invoke-with-response-stream`);
      const req = http.request(url, { method: 'POST', headers: { ...captured!.headers, 'content-length': Buffer.byteLength(tampered) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(tampered);
    });
    expect(status).toBe(403);
    expect(fake.signIns.at(-1)).toEqual({ at: 'request', ok: false, detail: 'body does not match x-amz-content-sha256' });
  });

  it('sends mid-stream exceptions that the model port classifies as transient, and a bare 429 as a throttle to retry', async () => {
    let n = 0;
    const { client } = await bedrock(() => (n++ === 0 ? { streamError: { afterBlocks: 0, type: 'overloaded_error', message: 'Bedrock is busy' } } : { error: { status: 429, type: 'rate_limit_error', message: 'Too many requests' } }));
    const port = createAnthropicModel(sdk, client(), { name: 'Amazon Bedrock', authHint: '', retryBare429: true });
    const call = { params: { ...request } as never, betas: [] };
    const opts = { signal: new AbortController().signal, timeoutMs: 5000 };
    const first = await port.send(call, opts).catch((e: unknown) => e as ModelFailure);
    expect(first).toBeInstanceOf(ModelFailure);
    expect([(first as ModelFailure).kind, (first as ModelFailure).details.errorType]).toEqual(['transient', 'serviceUnavailableException']);
    const second = (await port.send(call, opts).catch((e: unknown) => e)) as ModelFailure;
    expect([second.kind, second.details.status, second.message]).toEqual(['transient', 429, 'rate limited (429): Too many requests']);
  });
});

describe('fake federation (keyless)', () => {
  it('accepts an OIDC token once, for the right audience only', async () => {
    const fake = await startFakeKeyless();
    fakes.push(fake);
    const tokenFor = async (audience: string) => {
      const res = await fetch(`${fake.oidc.requestUrl}&audience=${encodeURIComponent(audience)}`, { headers: { Authorization: `Bearer ${fake.secrets.oidcRequestToken}` } });
      return ((await res.json()) as { value: string }).value;
    };
    const exchange = (assertion: string) =>
      fetch(`${fake.url}/v1/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-beta': 'oauth-2025-04-20,oidc-federation-2026-04-01' },
        body: JSON.stringify({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, federation_rule_id: 'fdrl_01SimRule7h3x', organization_id: '8c1f0b4e-5a7d-4e2b-9c3f-1a2b3c4d5e6f' }),
      }).then((r) => r.status);
    const good = await tokenFor('https://api.anthropic.com');
    expect(await exchange(good)).toBe(200);
    expect(await exchange(good)).toBe(401);
    expect(await exchange(await tokenFor('https://github.com/acme'))).toBe(401);
    expect(fake.signIns.map((s) => s.detail ?? 'ok')).toEqual(['ok', 'assertion already used', 'assertion rejected: audience https://github.com/acme, expected https://api.anthropic.com']);
    // Without the runner's request token there is no OIDC token at all.
    expect((await fetch(`${fake.oidc.requestUrl}&audience=x`)).status).toBe(401);
  });
});
