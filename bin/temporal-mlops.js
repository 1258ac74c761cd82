#!/usr/bin/env node
'use strict';
// The CLI is TypeScript run through tsx (a runtime dependency), so there is no build step to forget.
require('tsx/cjs/api').register();
const { runCli } = require('../src/cli/main.ts');

runCli(process.argv.slice(2), { out: (text) => process.stdout.write(`${text}\n`), env: process.env }).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
