// Native ESM jest (the @actions/* toolkit ships ESM only). ts-jest only transpiles here; `npm run typecheck` type-checks.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['**/__tests__/**/*.test.ts'],
  testTimeout: 60000,
  // Both cores: the randomized loop runs are CPU-bound, the end-to-end runs mostly wait on child processes.
  maxWorkers: 2,
  // Worlds run their steps in-process unless TASKCAP_TIER=bundle (test/support/tier.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/tier.ts'],
};
