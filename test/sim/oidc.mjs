// @ts-check
// The runner's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL): what `core.getIDToken(audience)` and a Google
// external_account credentials file call with the request token as a bearer. It mints RS256 JWTs with its own key,
// so the fake token exchanges (Anthropic federation, Google STS) can verify them like the real ones verify GitHub's.

import crypto from 'node:crypto';
import { listen } from './anthropic.mjs';

export const OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** @param {Buffer | string} b */
const b64url = (b) => Buffer.from(b).toString('base64url');

/**
 * @param {{ requestToken: string, subject?: string, lifetimeSeconds?: number }} options
 */
export async function startFakeOidc(options) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.randomBytes(8).toString('hex');
  /** @type {{ audience: string, token: string, at: number }[]} */
  const issued = [];
  /** Requests refused for a missing or wrong bearer. */
  let refused = 0;

  /** @param {Record<string, unknown>} claims */
  function sign(claims) {
    const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
    const body = b64url(JSON.stringify(claims));
    const signature = crypto.sign('sha256', Buffer.from(`${head}.${body}`), privateKey);
    return `${head}.${body}.${b64url(signature)}`;
  }

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://oidc');
    const bearer = /^bearer\s+(\S+)/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (req.method !== 'GET' || url.pathname !== '/token') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end('{"message":"not found"}');
    }
    if (bearer !== options.requestToken) {
      refused++;
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end('{"message":"bad request token"}');
    }
    const audience = url.searchParams.get('audience') ?? 'https://github.com/acme';
    const now = Math.floor(Date.now() / 1000);
    const token = sign({
      iss: OIDC_ISSUER,
      sub: options.subject ?? 'repo:acme/slugkit:ref:refs/heads/main',
      aud: audience,
      repository: 'acme/slugkit',
      iat: now,
      nbf: now,
      exp: now + (options.lifetimeSeconds ?? 300),
      jti: crypto.randomUUID(),
    });
    issued.push({ audience, token, at: Date.now() });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ count: 1, value: token }));
  });

  return {
    url: server.url,
    /** What ACTIONS_ID_TOKEN_REQUEST_URL holds on a runner (a query string already present, like GitHub's). */
    requestUrl: `${server.url}/token?api-version=2.0`,
    requestToken: options.requestToken,
    issued,
    get refused() {
      return refused;
    },
    /**
     * Verify a JWT this endpoint issued: signature, issuer, expiry, audience. Throws with the reason.
     * @param {string} jwt @param {string} audience
     */
    verify(jwt, audience) {
      const [head, body, signature] = String(jwt).split('.');
      if (!head || !body || !signature) throw new Error('not a JWT');
      const ok = crypto.verify('sha256', Buffer.from(`${head}.${body}`), publicKey, Buffer.from(signature, 'base64url'));
      if (!ok) throw new Error('bad signature');
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      if (claims.iss !== OIDC_ISSUER) throw new Error(`issuer ${claims.iss}`);
      if (claims.exp * 1000 < Date.now()) throw new Error('expired');
      if (claims.aud !== audience) throw new Error(`audience ${claims.aud}, expected ${audience}`);
      return claims;
    },
    close: () => server.close(),
  };
}
