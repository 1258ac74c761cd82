/** Unit tests need nothing running; integration tests talk to the real native stack (`npm run stack -- up`).
 * ts-jest only transpiles (isolatedModules): `npm test` type-checks the whole tree once with tsc instead. */
const common = {
  preset: 'ts-jest',
  // Node's typed arrays shared with each test realm: tfjs-node's native results must pass its instanceof checks.
  testEnvironment: '<rootDir>/test/support/tf-environment.js',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // @fastify/static and fastify's inject need content-disposition 3 and cookie 2, which ship ESM only; jest
    // cannot require() ESM before
    // Node 24.9 (Node itself can), so those two packages are compiled to CommonJS for the tests.
    '/node_modules/(content-disposition|cookie)/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition|cookie)/)'],
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
