// Google Vertex AI through the bundle, signed in the way google-github-actions/auth sets it up with workload
// identity federation: an external_account credentials file (gha-creds-*.json in the workspace) naming the runner's
// OIDC URL, an STS token endpoint and a service-account impersonation endpoint, all fakes.
import { expect } from '@jest/globals';
import { providerSuite } from './provider-cases.js';

providerSuite({
  kind: 'vertex',
  label: 'Google Vertex AI',
  provider: 'vertex',
  sentModel: 'claude-opus-4-7',
  transient: { status: 429, type: 'rate_limit_error', message: 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model' },
  refuse: ['task-budget', 'effort'],
  wire(world, requests) {
    const steps = world.provider!.signIns.map((s) => s.at);
    expect(steps.slice(0, 2)).toEqual(['sts', 'impersonation']);
    for (const q of requests) {
      expect(q.path).toBe('/v1/projects/acme-ml-prod/locations/us-east5/publishers/anthropic/models/claude-opus-4-7:streamRawPredict');
      expect(String(q.headers.authorization)).toMatch(/^Bearer ya29\.sim-/);
      expect(q.betas).toContain('task-budgets-2026-03-13');
    }
  },
});
