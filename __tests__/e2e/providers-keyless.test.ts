// The Claude API without a key: the action asks the runner for its OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL) and
// exchanges it at the federation token endpoint; the fake verifies the JWT like the real exchange does.
import { expect } from '@jest/globals';
import { providerSuite } from './provider-cases.js';

providerSuite({
  kind: 'keyless',
  label: 'the Claude API',
  provider: 'anthropic',
  sentModel: 'claude-opus-4-7',
  transient: { status: 529, type: 'overloaded_error', message: 'Overloaded', headers: { 'retry-after': '0' } },
  refuse: ['task-budget'],
  wire(world, requests) {
    const fake = world.provider as unknown as { oidc: { issued: { audience: string }[] } };
    // One exchange for the whole run: the access token is cached; every OIDC token asked for the default audience.
    expect(world.provider!.signIns.filter((s) => s.at === 'token-exchange')).toEqual([{ at: 'token-exchange', ok: true }]);
    expect(fake.oidc.issued.map((t) => t.audience)).toEqual(['https://api.anthropic.com']);
    for (const q of requests) {
      expect(String(q.headers.authorization)).toMatch(/^Bearer sk-ant-oat01-sim/);
      expect(q.headers['x-api-key']).toBeUndefined();
      expect(q.betas).toEqual(expect.arrayContaining(['task-budgets-2026-03-13', 'oauth-2025-04-20']));
    }
  },
});
