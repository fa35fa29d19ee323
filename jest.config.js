// Native ESM jest (the @actions/* toolkit ships ESM only). ts-jest only transpiles here; `npm run typecheck` type-checks.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['**/__tests__/**/*.test.ts'],
  // `*.complete.test.ts`: long or bundle-only suites, in the complete suite (TASKCAP_SUITE=complete) and CI only.
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.TASKCAP_SUITE === 'complete' ? [] : ['\\.complete\\.test\\.ts$'])],
  testTimeout: 60000,
  // Three workers on two cores: the end-to-end runs spend a third of their time waiting on git, bubblewrap and the
  // simulators, so a third worker fills the gaps (npm test: 377 s with two, 254 s with three, same machine).
  maxWorkers: 3,
  // Worlds run their steps in-process unless TASKCAP_TIER=bundle (test/support/tier.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/tier.ts'],
};
