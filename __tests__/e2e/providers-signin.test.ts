// The other ways in: Bedrock's Messages API endpoint (SigV4 for bedrock-mantle, SSE), a Bedrock API key, Foundry
// with a Microsoft Entra token from the Azure CLI session; and the exactly-one-way rule, which stops a run before
// any request or write.
import { afterEach, describe, expect, it } from '@jest/globals';
import { issuesLabeled } from '../../test/sim/payloads.mjs';
import { azCallLog } from '../../test/sim/providers.mjs';
import { API_KEY, createWorld } from '../../test/sim/world.mjs';
import { expectFiguresMatch, fixScript, SAMPLE, type Req } from './provider-cases.js';

type World = Awaited<ReturnType<typeof createWorld>>;
let world: World | undefined;
afterEach(async () => {
  if (world) expect(world.github.violations).toEqual([]);
  await world?.close();
  world = undefined;
});

const setup = async (provider: Parameters<typeof createWorld>[0] extends infer O ? (O extends { provider?: infer P } ? P : never) : never) =>
  (world = await createWorld({
    fixtureDir: SAMPLE,
    github: { issues: [{ number: 1, title: 'slugify leaves dashes at the ends', body: 'Fix it.', labels: ['agent:fix'], user: 'acme' }] },
    anthropic: { script: fixScript as never },
    provider,
  }));
const labeled = () => issuesLabeled({ owner: 'acme', repo: 'slugkit', number: 1, title: 'slugify leaves dashes at the ends', label: 'agent:fix', sender: 'acme' });
const requestsOf = (w: World) => w.anthropic!.requests as unknown as Req[];

describe('more ways to sign in', () => {
  it("Bedrock's Messages API endpoint: SigV4 for bedrock-mantle, SSE, the first-party id mapped to anthropic.<id>", async () => {
    const w = await setup('mantle');
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'completed']);
    for (const q of requestsOf(w)) {
      expect(q.path).toBe('/anthropic/v1/messages');
      expect(q.body.model).toBe('anthropic.claude-opus-4-7');
      expect(String(q.headers.authorization)).toMatch(/\/eu-west-1\/bedrock-mantle\/aws4_request/);
    }
    expect(w.provider!.signIns.every((s) => s.ok)).toBe(true);
    expect(r.stdout).toContain('Claude: Amazon Bedrock Messages API endpoint (bedrock-mantle) in eu-west-1');
    expectFiguresMatch(w, r, 1);
  }, 120_000);

  it('a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) goes as a bearer token, nothing is signed', async () => {
    const w = await setup('bedrock-api-key');
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { model: 'global.anthropic.claude-opus-4-7' } });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'completed']);
    for (const q of requestsOf(w)) {
      expect(q.headers.authorization).toBe(`Bearer ${w.provider!.secrets.bedrockApiKey}`);
      expect(q.headers['x-amz-date']).toBeUndefined();
      expect(q.path).toBe('/model/global.anthropic.claude-opus-4-7/invoke-with-response-stream');
    }
    expectFiguresMatch(w, r, 1);
  }, 120_000);

  it("Foundry with Microsoft Entra ID: the Azure CLI's token, fetched from a private copy of the session while the session is out of reach", async () => {
    const w = await setup('foundry-entra');
    const r = await w.run({ eventName: 'issues', payload: labeled() });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'completed']);
    for (const q of requestsOf(w)) expect(q.headers.authorization).toBe(`Bearer ${w.provider!.secrets.entraToken}`);
    const calls = azCallLog() as { dir: string; envKeys: string[] }[];
    // One token for the run (it lives an hour), fetched with a copy of the session: the original was hidden.
    expect(calls).toHaveLength(1);
    expect(calls[0].dir).toMatch(/taskcap-cred-/);
    expect(calls[0].envKeys.filter((k) => !/^(PATH|HOME|AZURE_CONFIG_DIR|AZURE_CORE_NO_COLOR|AZURE_CORE_COLLECT_TELEMETRY|PWD|SHLVL|_)$/.test(k))).toEqual([]);
    expect(r.stdout).toContain('with a Microsoft Entra ID token from the Azure CLI session');
    expectFiguresMatch(w, r, 1);
  }, 120_000);
});

describe('a gateway in front of the Claude API', () => {
  it("the base-url input sends every request there, with the key", async () => {
    world = await createWorld({
      fixtureDir: SAMPLE,
      github: { issues: [{ number: 1, title: 'slugify leaves dashes at the ends', body: 'Fix it.', labels: ['agent:fix'], user: 'acme' }] },
      anthropic: { script: fixScript as never },
    });
    const w = world;
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { 'base-url': w.anthropic!.url }, env: { ANTHROPIC_BASE_URL: undefined } });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'completed']);
    expect(requestsOf(w)).toHaveLength(5);
    expect(String(requestsOf(w)[0].headers.authorization)).toBe(`Bearer ${API_KEY}`);
    expect(r.stdout).toContain(`Claude: the Claude API at ${w.anthropic!.url}, with an API key.`);
    expectFiguresMatch(w, r, 1);
  }, 120_000);
});

describe('exactly one way to sign in, checked before any request or write', () => {
  const expectStoppedEarly = (w: World, r: Awaited<ReturnType<World['run']>>, message: RegExp) => {
    expect([r.exitCode, r.outputs.status]).toEqual([1, 'failed']);
    expect(r.stdout).toMatch(message);
    expect(w.anthropic!.requests).toHaveLength(0);
    // The only write: one comment telling the person who asked that a maintainer must fix the setup (no details).
    const writes = w.github.writes();
    expect(writes.map((c) => c.operationId)).toEqual(['issues/create-comment']);
    expect(String(writes[0].body.body)).toMatch(/^<!-- taskcap:notice setup -->\n\*\*taskcap did not start\.\*\*/);
  };

  it('refuses an Anthropic key next to keyless sign-in', async () => {
    const w = await setup('keyless');
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { 'anthropic-api-key': API_KEY } });
    expectStoppedEarly(w, r, /::error::Two ways to sign in to the Claude API are configured: 'anthropic-api-key' and keyless sign-in \('anthropic-federation-rule-id', 'anthropic-organization-id'\)/);
  }, 60_000);

  it('refuses keyless sign-in when the job cannot ask for an OIDC token (no id-token: write)', async () => {
    const w = await setup('keyless');
    const r = await w.run({ eventName: 'issues', payload: labeled(), env: { ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined } });
    expectStoppedEarly(w, r, /::error::Keyless sign-in needs the workflow's OIDC token.*permissions: id-token: write/);
  }, 60_000);

  it('refuses Bedrock with both a Bedrock API key and AWS credentials', async () => {
    const w = await setup('bedrock');
    const r = await w.run({ eventName: 'issues', payload: labeled(), env: { AWS_BEARER_TOKEN_BEDROCK: 'ABSKbmV2ZXItdXNlZC1rZXk0000000000' } });
    expectStoppedEarly(w, r, /::error::Two ways to sign in to Amazon Bedrock are configured/);
  }, 60_000);

  it('refuses Bedrock with no credentials, naming the setup step', async () => {
    const w = await setup('bedrock');
    const r = await w.run({ eventName: 'issues', payload: labeled(), env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined } });
    expectStoppedEarly(w, r, /::error::No way to sign in to Amazon Bedrock is configured: run aws-actions\/configure-aws-credentials/);
  }, 60_000);

  it('refuses an input meant for another provider', async () => {
    const w = await setup('vertex');
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { 'anthropic-api-key': API_KEY } });
    expectStoppedEarly(w, r, /::error::provider is 'vertex', but 'anthropic-api-key' \(for anthropic\) is set too/);
  }, 60_000);

  it('refuses a Bedrock model id with no price table, suggesting the near miss', async () => {
    const w = await setup('bedrock');
    const r = await w.run({ eventName: 'issues', payload: labeled(), inputs: { model: 'eu.anthropic.claude-opus-4.7' } });
    expectStoppedEarly(w, r, /::error::Model 'eu\.anthropic\.claude-opus-4\.7' \(the workflow's 'model' input\) is not a model id taskcap knows\. Did you mean 'claude-opus-4-7'\?/);
  }, 60_000);
});
