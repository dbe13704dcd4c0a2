/**
 * One jest run, three kinds of test (STYLE.md, emmett's naming):
 * - `*.spec.ts`      pure unit tests, no server;
 * - `*.int.spec.ts`  integration tests against the real local servers (deploy/local);
 * - `*.e2e.spec.ts`  end-to-end tests against the three services, started by the e2e global set-up.
 * Module aliases come from tsconfig.base.json's `paths`, so there is one list of them.
 */
const fs = require('node:fs');
const path = require('node:path');

const swcrc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
const { paths } = JSON.parse(fs.readFileSync(path.join(__dirname, 'tsconfig.base.json'), 'utf8')).compilerOptions;
const moduleNameMapper = Object.fromEntries(
  Object.entries(paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.local/'],
};

module.exports = {
  // A global option (jest ignores it per project): generous, since integration and e2e tests talk to real
  // servers on a shared 2-core machine. Unit tests finish in milliseconds anyway.
  testTimeout: 60000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts', '!**/*.int.spec.ts', '!**/*.e2e.spec.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int.spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.js',
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.e2e.spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/e2e-global-setup.js',
      globalTeardown: '<rootDir>/libs/testing/src/e2e-global-teardown.js',
    },
  ],
};
