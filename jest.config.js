/** Unit tests need nothing running; integration tests talk to the real native stack (`npm run stack -- up`).
 * ts-jest only transpiles (isolatedModules): `npm test` type-checks the whole tree once with tsc instead. */
const common = {
  preset: 'ts-jest',
  // Node's typed arrays shared with each test realm: tfjs-node's native results must pass its instanceof checks.
  testEnvironment: '<rootDir>/test/support/tf-environment.js',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
module.exports = {
  // Per-project testTimeout is ignored by jest; integration tests train models and talk to real servers.
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/replay/**/*.test.ts'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
  ],
};
