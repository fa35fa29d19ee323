// @ts-check
// Local fakes of the platforms that serve Claude, each with its own wire protocol and sign-in in front of the same
// scripted Messages engine (anthropic.mjs), so usage and budgets work exactly as against the Anthropic fake:
//
//   keyless    the Claude API with workload identity federation: POST /v1/oauth/token takes a GitHub OIDC JWT
//              (verified against the fake runner OIDC endpoint) and issues an access token for /v1/messages
//   bedrock    InvokeModel: POST /model/{id}/invoke-with-response-stream, SigV4 (service bedrock) verified by
//              re-signing with @smithy/signature-v4, AWS event-stream framing (@smithy/eventstream-codec)
//   mantle     Bedrock's Messages API endpoint: POST /anthropic/v1/messages, SigV4 (service bedrock-mantle), SSE
//   vertex     streamRawPredict under /v1/projects/{p}/locations/{r}/publishers/anthropic/models/{m}; Google sign-in
//              as google-github-actions/auth sets it up: an external_account credentials file naming the runner's
//              OIDC URL, a fake STS token endpoint and a fake service-account impersonation endpoint
//   foundry    POST /anthropic/v1/messages with `x-api-key`, or a Microsoft Entra token from a fake `az` CLI
//
// `refuse` makes a platform answer 400, in its own words, to a request feature it does not take.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createMessagesEngine, listen, readBody, SSE_FRAMING, TASK_BUDGET_BETA } from './anthropic.mjs';
import { startFakeOidc } from './oidc.mjs';

/** @typedef {'task-budget' | 'effort' | 'cache-control'} Feature */

/**
 * @typedef {object} ProviderFakeOptions
 * @property {import('./anthropic.mjs').FakeAnthropicOptions['script']} [script]
 * @property {import('./anthropic.mjs').FakeAnthropicOptions['cacheMinTokens']} [cacheMinTokens]
 * @property {Feature[]} [refuse]          request features the platform answers 400 to
 * @property {'api-key' | 'credentials'} [bedrockAuth]   Bedrock API key (bearer) or SigV4 credentials (default)
 * @property {'api-key' | 'entra'} [foundryAuth]          default api-key
 */

// ---------------------------------------------------------------------------------------------------------------
// Refusals

/** @param {any} body @param {string[]} betas @param {Feature[]} refuse @returns {Feature | undefined} */
function refused(body, betas, refuse) {
  if (refuse.includes('task-budget') && (betas.includes(TASK_BUDGET_BETA) || body?.output_config?.task_budget)) return 'task-budget';
  if (refuse.includes('effort') && body?.output_config?.effort) return 'effort';
  if (refuse.includes('cache-control') && body?.cache_control) return 'cache-control';
  return undefined;
}

/** How the Anthropic-style platforms word a field they do not take. @param {Feature} f */
const extraInputs = (f) =>
  f === 'task-budget'
    ? 'output_config.task_budget: Extra inputs are not permitted'
    : f === 'effort'
      ? 'output_config.effort: Extra inputs are not permitted'
      : 'cache_control: Extra inputs are not permitted';

/**
 * Answer a request the platform took: a refused feature is a 400 worded as `say` words it, the rest goes to the
 * engine. @param {ReturnType<typeof engineFor>} engine @param {import('node:http').ServerResponse} res
 * @param {any} record @param {import('node:http').IncomingMessage} req @param {any} body @param {string[]} betas
 * @param {Feature[]} refuse @param {{ framing?: any, say?: (f: Feature) => string }} [o]
 */
async function answer(engine, res, record, req, body, betas, refuse, o = {}) {
  const no = refused(body, betas, refuse);
  if (no) {
    record.body = body;
    record.betas = betas;
    return engine.sendError(res, record, 400, 'invalid_request_error', (o.say ?? extraInputs)(no), {}, o.framing);
  }
  await engine.respond(res, record, { body, betas, headers: req.headers, ...(o.framing ? { framing: o.framing } : {}) });
}

/** What every platform fake exposes of its engine. @param {ReturnType<typeof engineFor>} engine */
const engineView = (engine) => ({
  requests: engine.requests,
  countRequests: engine.countRequests,
  clearCache: engine.clearCache,
  billed: engine.billed,
  totals: engine.totals,
});

// ---------------------------------------------------------------------------------------------------------------
// AWS: SigV4 and event-stream framing

/** SHA-256 (and HMAC) on node's crypto, in the shape @smithy/signature-v4 takes. */
class NodeSha256 {
  /** @param {any} [secret] */
  constructor(secret) {
    this.hash = secret ? crypto.createHmac('sha256', Buffer.from(secret)) : crypto.createHash('sha256');
  }
  /** @param {any} data */
  update(data) {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

/**
 * Verify a SigV4-signed request by signing it again with the known secret: same method, path, query, signed
 * headers, body and date must give the same signature. Returns the reason it fails, or undefined.
 * @param {import('node:http').IncomingMessage} req @param {Buffer} body
 * @param {{ accessKeyId: string, secretAccessKey: string, sessionToken?: string }} credentials
 * @param {string} region @param {string} service
 */
export async function verifySigV4(req, body, credentials, region, service) {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'no SigV4 Authorization header';
  const [, keyId, day, signedRegion, signedService, signedHeaders, signature] = m;
  if (keyId !== credentials.accessKeyId) return `unknown access key ${keyId}`;
  if (signedRegion !== region) return `signed for region ${signedRegion}, expected ${region}`;
  if (signedService !== service) return `signed for service ${signedService}, expected ${service}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day)) return 'x-amz-date does not match the credential scope';
  const when = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  if (!Number.isFinite(when) || Math.abs(Date.now() - when) > 15 * 60_000) return 'request time too skewed';
  if ((credentials.sessionToken ?? undefined) !== (req.headers['x-amz-security-token'] ?? undefined)) return 'wrong or missing x-amz-security-token';
  // A signed payload hash stands for the body: AWS checks the body against it, so does this fake.
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (payloadHash !== undefined && payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== crypto.createHash('sha256').update(body).digest('hex')) return 'body does not match x-amz-content-sha256';
  const url = new URL(req.url ?? '/', 'http://placeholder');
  /** @type {Record<string, string>} */
  const headers = {};
  for (const name of signedHeaders.split(';')) {
    const v = req.headers[name];
    if (v === undefined) return `signed header ${name} is missing`;
    headers[name] = Array.isArray(v) ? v.join(',') : v;
  }
  /** @type {Record<string, string[]>} */
  const query = {};
  for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
  const request = new HttpRequest({ method: req.method, protocol: 'http:', hostname: String(req.headers.host).split(':')[0], path: url.pathname, query, headers, body: body.toString('utf8') });
  const signer = new SignatureV4({ service, region, credentials, sha256: /** @type {any} */ (NodeSha256) });
  const resigned = await signer.sign(request, { signingDate: new Date(when) });
  const expected = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers.authorization))?.[1];
  return expected === signature ? undefined : 'signature mismatch';
}

const utf8 = { toUtf8: (/** @type {Uint8Array} */ b) => Buffer.from(b).toString('utf8'), fromUtf8: (/** @type {string} */ s) => new Uint8Array(Buffer.from(s, 'utf8')) };
const codec = new EventStreamCodec(utf8.toUtf8, utf8.fromUtf8);

/** @param {Record<string, string>} headers @param {unknown} payload */
function eventMessage(headers, payload) {
  /** @type {Record<string, { type: 'string', value: string }>} */
  const h = {};
  for (const [k, v] of Object.entries(headers)) h[k] = { type: 'string', value: v };
  return Buffer.from(codec.encode({ headers: h, body: utf8.fromUtf8(JSON.stringify(payload)) }));
}

const BEDROCK_ERROR_TYPES = /** @type {Record<number, string>} */ ({
  400: 'ValidationException',
  401: 'UnrecognizedClientException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  408: 'ModelTimeoutException',
  424: 'ModelErrorException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
  529: 'ServiceUnavailableException',
});
/** Anthropic error types as Bedrock's stream exception frames name them. */
const BEDROCK_STREAM_EXCEPTIONS = /** @type {Record<string, string>} */ ({
  overloaded_error: 'serviceUnavailableException',
  rate_limit_error: 'throttlingException',
  api_error: 'internalServerException',
});

/** Bedrock InvokeModel's framing: AWS JSON errors, binary event-stream chunks carrying base64 JSON events. @type {import('./anthropic.mjs').Framing} */
export const EVENT_STREAM_FRAMING = {
  error(res, status, e, headers = {}) {
    const type = BEDROCK_ERROR_TYPES[status] ?? 'InternalServerException';
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': e.requestId, ...headers });
    res.end(JSON.stringify({ message: e.message }));
  },
  streamStart(res) {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-bedrock-content-type': 'application/json' });
  },
  frame: (_event, data) =>
    eventMessage({ ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' }, { bytes: Buffer.from(JSON.stringify(data)).toString('base64') }),
  streamError: (e) =>
    eventMessage({ ':exception-type': BEDROCK_STREAM_EXCEPTIONS[e.type] ?? 'internalServerException', ':content-type': 'application/json', ':message-type': 'exception' }, { message: e.message }),
};

// ---------------------------------------------------------------------------------------------------------------
// The fakes

/**
 * @typedef {object} ProviderRun   what a run needs to reach the fake: inputs and env, set before the bundle starts
 * @property {Record<string, string | undefined>} inputs
 * @property {Record<string, string | undefined>} env
 */

/**
 * @typedef {object} FakeProvider
 * @property {string} kind
 * @property {string} url
 * @property {import('./anthropic.mjs').RecordedRequest[]} requests
 * @property {import('./anthropic.mjs').RecordedRequest[]} countRequests   token counts (none: the platforms' fronts do not serve counting)
 * @property {() => void} clearCache
 * @property {import('./anthropic.mjs').BilledEntry[]} billed
 * @property {() => ReturnType<ReturnType<typeof createMessagesEngine>['totals']>} totals
 * @property {{ at: string, ok: boolean, detail?: string }[]} signIns   token exchanges and sign-in checks
 * @property {Record<string, string>} secrets    the credentials the setup step hands the job
 * @property {() => string[]} issued               every token the platform or the runner minted during the runs
 * @property {(o: { workspace: string, runnerTemp: string, dir: string }) => ProviderRun} prepareRun
 * @property {() => Promise<void>} close
 */

/**
 * The Claude model inside a platform's id (`eu.anthropic.claude-opus-4-7`, `claude-haiku-4-5@20251001`, a Foundry
 * deployment named after its model): what the platform checks features against.
 * @param {string} id
 */
export const claudeModelOf = (id) =>
  id
    .replace(/^arn:[^/]*\//, '')
    .replace(/^(?:us-gov|us|eu|jp|apac|au|global)\./, '')
    .replace(/^anthropic\./, '')
    .replace(/(?:@\d{8}|-v\d+(?::\d+)?)$/, '');

/** The message engine plus request recording shared by every front. @param {ProviderFakeOptions} options */
function engineFor(options) {
  return createMessagesEngine({ script: options.script, cacheMinTokens: options.cacheMinTokens, claudeModelOf });
}

/** @param {import('node:http').IncomingMessage} req */
const betasOf = (req) =>
  String(req.headers['anthropic-beta'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The Claude API with keyless sign-in (workload identity federation).
 * @param {ProviderFakeOptions & { ruleId?: string, organizationId?: string, audience?: string }} [options]
 * @returns {Promise<FakeProvider & { oidc: Awaited<ReturnType<typeof startFakeOidc>> }>}
 */
export async function startFakeKeyless(options = {}) {
  const engine = engineFor(options);
  const requestToken = `oidc-request-${crypto.randomBytes(12).toString('hex')}`;
  const oidc = await startFakeOidc({ requestToken });
  const ruleId = options.ruleId ?? 'fdrl_01SimRule7h3x';
  const organizationId = options.organizationId ?? '8c1f0b4e-5a7d-4e2b-9c3f-1a2b3c4d5e6f';
  const audience = options.audience ?? 'https://api.anthropic.com';
  const refuse = options.refuse ?? [];
  /** @type {FakeProvider['signIns']} */
  const signIns = [];
  /** Access tokens issued, with their expiry. @type {Map<string, number>} */
  const accessTokens = new Map();
  const usedAssertions = new Set();

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname === '/v1/oauth/token' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      const fail = (/** @type {string} */ detail) => {
        signIns.push({ at: 'token-exchange', ok: false, detail });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: detail }));
      };
      if (!betasOf(req).includes('oidc-federation-2026-04-01')) return fail('missing the oidc-federation beta');
      if (body.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return fail(`grant_type ${body.grant_type}`);
      if (body.federation_rule_id !== ruleId) return fail(`unknown federation rule ${body.federation_rule_id}`);
      if (body.organization_id !== organizationId) return fail(`wrong organization ${body.organization_id}`);
      if (usedAssertions.has(body.assertion)) return fail('assertion already used');
      try {
        oidc.verify(body.assertion, audience);
      } catch (e) {
        return fail(`assertion rejected: ${/** @type {Error} */ (e).message}`);
      }
      usedAssertions.add(body.assertion);
      const token = `sk-ant-oat01-sim${crypto.randomBytes(18).toString('hex')}`;
      accessTokens.set(token, Date.now() + 3600_000);
      signIns.push({ at: 'token-exchange', ok: true });
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
    }
    const bearer = /^Bearer\s+(\S+)/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const signedIn = Boolean(bearer && accessTokens.has(bearer));
    if (url.pathname === '/v1/messages/count_tokens') {
      // The Claude API counts for keyless callers too, with the same access token.
      if (!signedIn) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid access token' } }));
      }
      return engine.count(req, res);
    }
    const record = engine.begin(req, res);
    const error = (/** @type {number} */ s, /** @type {string} */ t, /** @type {string} */ m) => engine.sendError(res, record, s, t, m);
    if (record.path !== '/v1/messages' || req.method !== 'POST') return error(404, 'not_found_error', `Not found: ${record.path}`);
    if (!signedIn) return error(401, 'authentication_error', 'invalid access token');
    if (!betasOf(req).includes('oauth-2025-04-20')) return error(401, 'authentication_error', 'OAuth authentication requires the oauth-2025-04-20 beta');
    const body = JSON.parse((await readBody(req)).toString('utf8'));
    const betas = betasOf(req);
    await answer(engine, res, record, req, body, betas, refuse);
  });

  return {
    kind: 'keyless',
    url: server.url,
    oidc,
    ...engineView(engine),
    signIns,
    secrets: { oidcRequestToken: requestToken, oidcRequestUrl: oidc.requestUrl },
    issued: () => [...accessTokens.keys(), ...oidc.issued.map((t) => t.token)],
    prepareRun: () => ({
      inputs: { 'anthropic-api-key': undefined, 'anthropic-federation-rule-id': ruleId, 'anthropic-organization-id': organizationId },
      env: { ANTHROPIC_BASE_URL: server.url, ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken },
    }),
    async close() {
      engine.destroyOpen();
      await Promise.all([server.close(), oidc.close()]);
    },
  };
}

/**
 * Amazon Bedrock: InvokeModel (event-stream) or its Messages API endpoint (`api: 'mantle'`, SSE).
 * @param {ProviderFakeOptions & { api?: 'invoke' | 'mantle', region?: string }} [options]
 * @returns {Promise<FakeProvider>}
 */
export async function startFakeBedrock(options = {}) {
  const engine = engineFor(options);
  const api = options.api ?? 'invoke';
  const region = options.region ?? 'eu-west-1';
  const credentials = {
    accessKeyId: `ASIA${crypto.randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: crypto.randomBytes(30).toString('base64').replace(/[+/=]/g, 'x'),
    sessionToken: `IQoJb3JpZ2luX2VjE${crypto.randomBytes(48).toString('base64').replace(/[+/=]/g, 'Q')}`,
  };
  const bearer = `ABSKQmVkcm9ja0FQSUtleS1zaW0t${crypto.randomBytes(24).toString('hex')}`;
  const useKey = options.bedrockAuth === 'api-key';
  const refuse = options.refuse ?? [];
  /** @type {FakeProvider['signIns']} */
  const signIns = [];
  const service = api === 'mantle' ? 'bedrock-mantle' : 'bedrock';
  const framing = api === 'mantle' ? SSE_FRAMING : EVENT_STREAM_FRAMING;

  const server = await listen(async (req, res) => {
    const record = engine.begin(req, res);
    const error = (/** @type {number} */ s, /** @type {string} */ t, /** @type {string} */ m) => engine.sendError(res, record, s, t, m, {}, framing);
    const raw = await readBody(req);
    // Sign-in: the Bedrock API key as a bearer, or a SigV4 signature over exactly these bytes.
    const bearerGiven = /^Bearer\s+(\S+)/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const problem = useKey ? (bearerGiven === bearer ? undefined : 'wrong or missing Bedrock API key') : await verifySigV4(req, raw, credentials, region, service);
    signIns.push({ at: 'request', ok: !problem, detail: problem });
    if (problem) return error(403, 'permission_error', `The request signature we calculated does not match the signature you provided (${problem}).`);

    let body;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return error(400, 'invalid_request_error', 'Malformed input request: not JSON');
    }
    /** @type {string[]} */
    let betas;
    if (api === 'invoke') {
      const m = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/.exec(record.path);
      if (!m || req.method !== 'POST') return error(404, 'not_found_error', `Unknown operation ${req.method} ${record.path}`);
      if (body.anthropic_version !== 'bedrock-2023-05-31') return error(400, 'invalid_request_error', `Malformed input request: anthropic_version ${JSON.stringify(body.anthropic_version)} is not supported, use bedrock-2023-05-31`);
      if ('model' in body || 'stream' in body) return error(400, 'invalid_request_error', 'Malformed input request: extraneous key [model] is not permitted');
      betas = Array.isArray(body.anthropic_beta) ? body.anthropic_beta : [];
      const { anthropic_version: _v, anthropic_beta: _b, ...rest } = body;
      body = { ...rest, model: decodeURIComponent(m[1]), ...(m[2] === 'invoke-with-response-stream' ? { stream: true } : {}) };
    } else {
      if (record.path !== '/anthropic/v1/messages' || req.method !== 'POST') return error(404, 'not_found_error', `Not found: ${record.path}`);
      if (!req.headers['anthropic-version']) return error(400, 'invalid_request_error', 'anthropic-version: header is required');
      betas = betasOf(req);
    }
    const say = (/** @type {Feature} */ no) =>
      api === 'invoke' ? (no === 'task-budget' ? 'invalid beta flag' : `Malformed input request: extraneous key [${no === 'effort' ? 'output_config.effort' : 'cache_control'}] is not permitted`) : extraInputs(no);
    await answer(engine, res, record, req, body, betas, refuse, { framing, say });
  });

  return {
    kind: api === 'mantle' ? 'bedrock-mantle' : 'bedrock',
    url: server.url,
    ...engineView(engine),
    signIns,
    secrets: useKey ? { bedrockApiKey: bearer } : { awsAccessKeyId: credentials.accessKeyId, awsSecretAccessKey: credentials.secretAccessKey, awsSessionToken: credentials.sessionToken },
    issued: () => [],
    prepareRun: () => ({
      inputs: { 'anthropic-api-key': undefined, provider: 'bedrock' },
      env: {
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        ...(useKey ? { AWS_BEARER_TOKEN_BEDROCK: bearer } : { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: credentials.sessionToken }),
        ...(api === 'mantle' ? { ANTHROPIC_BEDROCK_MANTLE_BASE_URL: `${server.url}/anthropic` } : { ANTHROPIC_BEDROCK_BASE_URL: server.url }),
      },
    }),
    async close() {
      engine.destroyOpen();
      await server.close();
    },
  };
}

/**
 * Google Vertex AI with the sign-in google-github-actions/auth sets up for workload identity federation.
 * @param {ProviderFakeOptions & { project?: string, region?: string }} [options]
 * @returns {Promise<FakeProvider & { oidc: Awaited<ReturnType<typeof startFakeOidc>> }>}
 */
export async function startFakeVertex(options = {}) {
  const engine = engineFor(options);
  const project = options.project ?? 'acme-ml-prod';
  const region = options.region ?? 'us-east5';
  const requestToken = `oidc-request-${crypto.randomBytes(12).toString('hex')}`;
  const oidc = await startFakeOidc({ requestToken });
  const poolAudience = '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/providers/github';
  const serviceAccount = `taskcap@${project}.iam.gserviceaccount.com`;
  const refuse = options.refuse ?? [];
  /** @type {FakeProvider['signIns']} */
  const signIns = [];
  const stsTokens = new Set();
  const accessTokens = new Set();

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const json = (/** @type {number} */ status, /** @type {unknown} */ body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/sts/v1/token' && req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const fail = (/** @type {string} */ detail) => {
        signIns.push({ at: 'sts', ok: false, detail });
        json(400, { error: 'invalid_grant', error_description: detail });
      };
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange') return fail(`grant_type ${form.get('grant_type')}`);
      if (form.get('audience') !== poolAudience) return fail(`audience ${form.get('audience')}`);
      try {
        oidc.verify(String(form.get('subject_token')), `https:${poolAudience}`);
      } catch (e) {
        return fail(`subject token rejected: ${/** @type {Error} */ (e).message}`);
      }
      const token = `sts-sim-${crypto.randomBytes(16).toString('hex')}`;
      stsTokens.add(token);
      signIns.push({ at: 'sts', ok: true });
      return json(200, { access_token: token, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 3600 });
    }
    const impersonate = /^\/iam\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(url.pathname);
    if (impersonate && req.method === 'POST') {
      await readBody(req);
      const bearer = /^Bearer\s+(\S+)/i.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!bearer || !stsTokens.has(bearer) || decodeURIComponent(impersonate[1]) !== serviceAccount) {
        signIns.push({ at: 'impersonation', ok: false, detail: `bearer ok: ${Boolean(bearer && stsTokens.has(bearer))}, account ${impersonate[1]}` });
        return json(403, { error: { code: 403, message: 'Permission iam.serviceAccounts.getAccessToken denied', status: 'PERMISSION_DENIED' } });
      }
      const token = `ya29.sim-${crypto.randomBytes(24).toString('hex')}`;
      accessTokens.add(token);
      signIns.push({ at: 'impersonation', ok: true });
      return json(200, { accessToken: token, expireTime: new Date(Date.now() + 3600_000).toISOString() });
    }

    const record = engine.begin(req, res);
    const error = (/** @type {number} */ s, /** @type {string} */ t, /** @type {string} */ m) => engine.sendError(res, record, s, t, m);
    const m = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/:]+):(streamRawPredict|rawPredict)$/.exec(record.path);
    if (!m || req.method !== 'POST') return error(404, 'not_found_error', `Not found: ${record.path}`);
    const bearer = /^Bearer\s+(\S+)/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!bearer || !accessTokens.has(bearer)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } }));
    }
    if (m[1] !== project || m[2] !== region) return error(404, 'not_found_error', `Publisher model projects/${m[1]}/locations/${m[2]} not found`);
    let body = JSON.parse((await readBody(req)).toString('utf8'));
    if (!body.anthropic_version) return error(400, 'invalid_request_error', 'anthropic_version: Field required');
    if ('model' in body) return error(400, 'invalid_request_error', 'model: Extra inputs are not permitted');
    const { anthropic_version: _v, ...rest } = body;
    body = { ...rest, model: decodeURIComponent(m[3]), ...(m[4] === 'streamRawPredict' ? { stream: true } : {}) };
    const betas = betasOf(req);
    await answer(engine, res, record, req, body, betas, refuse);
  });

  return {
    kind: 'vertex',
    url: server.url,
    oidc,
    ...engineView(engine),
    signIns,
    secrets: { oidcRequestToken: requestToken, oidcRequestUrl: oidc.requestUrl },
    issued: () => [...stsTokens, ...accessTokens, ...oidc.issued.map((t) => t.token)],
    // google-github-actions/auth writes gha-creds-<hex>.json into the workspace and points the variables at it.
    prepareRun: ({ workspace }) => {
      const file = path.join(workspace, `gha-creds-${crypto.randomBytes(8).toString('hex')}.json`);
      const credentials = {
        type: 'external_account',
        audience: poolAudience,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${server.url}/sts/v1/token`,
        service_account_impersonation_url: `${server.url}/iam/v1/projects/-/serviceAccounts/${serviceAccount}:generateAccessToken`,
        credential_source: {
          url: `${oidc.requestUrl}&audience=${encodeURIComponent(`https:${poolAudience}`)}`,
          headers: { Authorization: `Bearer ${requestToken}` },
          format: { type: 'json', subject_token_field_name: 'value' },
        },
      };
      fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
      return {
        inputs: { 'anthropic-api-key': undefined, provider: 'vertex', 'gcp-region': region },
        env: {
          GOOGLE_APPLICATION_CREDENTIALS: file,
          CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE: file,
          GOOGLE_GHA_CREDS_PATH: file,
          GOOGLE_CLOUD_PROJECT: project,
          CLOUDSDK_PROJECT: project,
          ANTHROPIC_VERTEX_BASE_URL: `${server.url}/v1`,
          ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
        },
      };
    },
    async close() {
      engine.destroyOpen();
      await Promise.all([server.close(), oidc.close()]);
    },
  };
}

/**
 * Microsoft Foundry: an API key, or an Entra token that a fake `az` CLI (on PATH for the run) hands out from a
 * session directory like the one azure/login leaves.
 * @param {ProviderFakeOptions & { resource?: string }} [options]
 * @returns {Promise<FakeProvider>}
 */
export async function startFakeFoundry(options = {}) {
  const engine = engineFor(options);
  const apiKey = `foundry-key-${crypto.randomBytes(16).toString('hex')}`;
  const entraToken = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2NvZ25pdGl2ZXNlcnZpY2VzLmF6dXJlLmNvbSJ9.${crypto.randomBytes(32).toString('base64url')}`;
  const entra = options.foundryAuth === 'entra';
  const refuse = options.refuse ?? [];
  /** @type {FakeProvider['signIns']} */
  const signIns = [];

  const server = await listen(async (req, res) => {
    const record = engine.begin(req, res);
    const error = (/** @type {number} */ s, /** @type {string} */ t, /** @type {string} */ m) => engine.sendError(res, record, s, t, m);
    if (record.path !== '/anthropic/v1/messages' || req.method !== 'POST') return error(404, 'not_found_error', `Not found: ${record.path}`);
    const bearer = /^Bearer\s+(\S+)/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const ok = entra ? bearer === entraToken && !req.headers['x-api-key'] : req.headers['x-api-key'] === apiKey && !bearer;
    signIns.push({ at: 'request', ok, detail: ok ? undefined : entra ? 'wrong or missing Entra token' : 'wrong or missing api key' });
    if (!ok) return error(401, 'authentication_error', 'Access denied due to invalid subscription key or wrong API endpoint.');
    if (!req.headers['anthropic-version']) return error(400, 'invalid_request_error', 'anthropic-version: header is required');
    const body = JSON.parse((await readBody(req)).toString('utf8'));
    const betas = betasOf(req);
    await answer(engine, res, record, req, body, betas, refuse);
  });

  return {
    kind: 'foundry',
    url: server.url,
    ...engineView(engine),
    signIns,
    secrets: entra ? { entraToken } : { foundryApiKey: apiKey },
    issued: () => [],
    prepareRun: ({ dir }) => {
      const base = { ANTHROPIC_FOUNDRY_BASE_URL: `${server.url}/anthropic/` };
      if (!entra) return { inputs: { 'anthropic-api-key': undefined, provider: 'foundry', 'foundry-api-key': apiKey }, env: base };
      // The session azure/login leaves, and an `az` that answers get-access-token from it (and logs each call).
      const configDir = path.join(dir, 'azure');
      const bin = path.join(dir, 'bin');
      const logFile = path.join(dir, 'az-calls.log');
      fs.mkdirSync(configDir, { recursive: true });
      fs.mkdirSync(bin, { recursive: true });
      fs.writeFileSync(path.join(configDir, 'azureProfile.json'), JSON.stringify({ subscriptions: [{ id: 'sub-sim', isDefault: true, tenantId: 'tenant-sim', user: { name: 'client-sim', type: 'servicePrincipal' } }] }));
      fs.writeFileSync(path.join(configDir, 'msal_token_cache.json'), JSON.stringify({ AccessToken: { sim: { secret: entraToken } } }), { mode: 0o600 });
      const az = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.AZURE_CONFIG_DIR;
fs.appendFileSync(${JSON.stringify(logFile)}, JSON.stringify({ args: process.argv.slice(2), dir, envKeys: Object.keys(process.env).sort() }) + '\\n');
const args = process.argv.slice(2).join(' ');
if (args !== 'account get-access-token --resource https://cognitiveservices.azure.com --output json') { console.error('az: unexpected arguments: ' + args); process.exit(2); }
let cache;
try { cache = JSON.parse(fs.readFileSync(path.join(dir, 'msal_token_cache.json'), 'utf8')); } catch { console.error("ERROR: Please run 'az login' to setup account."); process.exit(1); }
const token = cache.AccessToken.sim.secret;
const expires = Math.floor(Date.now() / 1000) + 3600;
console.log(JSON.stringify({ accessToken: token, expiresOn: new Date(expires * 1000).toISOString().replace('T', ' ').slice(0, 19), expires_on: expires, subscription: 'sub-sim', tenant: 'tenant-sim', tokenType: 'Bearer' }, null, 2));
`;
      fs.writeFileSync(path.join(bin, 'az'), az, { mode: 0o755 });
      azLogFile = logFile;
      return {
        inputs: { 'anthropic-api-key': undefined, provider: 'foundry' },
        env: { ...base, AZURE_CONFIG_DIR: configDir, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
      };
    },
    async close() {
      engine.destroyOpen();
      await server.close();
    },
  };
}

/** Path of the fake az CLI's call log of the latest prepared run. */
let azLogFile = '';
export const azCallLog = () => (azLogFile && fs.existsSync(azLogFile) ? fs.readFileSync(azLogFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

/**
 * Start the fake for a provider world.
 * @param {'keyless' | 'bedrock' | 'mantle' | 'vertex' | 'foundry' | 'foundry-entra' | 'bedrock-api-key'} kind
 * @param {ProviderFakeOptions} [options]
 * @returns {Promise<FakeProvider>}
 */
export function startProviderFake(kind, options = {}) {
  switch (kind) {
    case 'keyless':
      return startFakeKeyless(options);
    case 'bedrock':
      return startFakeBedrock(options);
    case 'bedrock-api-key':
      return startFakeBedrock({ ...options, bedrockAuth: 'api-key' });
    case 'mantle':
      return startFakeBedrock({ ...options, api: 'mantle' });
    case 'vertex':
      return startFakeVertex(options);
    case 'foundry':
      return startFakeFoundry(options);
    case 'foundry-entra':
      return startFakeFoundry({ ...options, foundryAuth: 'entra' });
  }
}
