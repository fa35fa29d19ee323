// Microsoft Foundry through the bundle: an API key from a secret, sent as `x-api-key`.
import { expect } from '@jest/globals';
import { providerSuite } from './provider-cases.js';

providerSuite({
  kind: 'foundry',
  label: 'Microsoft Foundry',
  provider: 'foundry',
  sentModel: 'claude-opus-4-7',
  transient: { status: 429, type: 'rate_limit_error', message: 'Rate limit is exceeded. Try again in 1 seconds.', headers: { 'retry-after': '1' } },
  refuse: ['task-budget', 'cache-control'],
  wire(world, requests) {
    for (const q of requests) {
      expect(q.path).toBe('/anthropic/v1/messages');
      expect(q.headers['x-api-key']).toBe(world.provider!.secrets.foundryApiKey);
      expect(q.headers.authorization).toBeUndefined();
    }
  },
});
