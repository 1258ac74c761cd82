// Rewrites the configuration table in README.md from src/config.ts, so the two cannot drift apart.
import fs from 'node:fs';
import path from 'node:path';
import { configTable, REPO_ROOT } from '../src/config';

const file = path.join(REPO_ROOT, 'README.md');
const readme = fs.readFileSync(file, 'utf8');
const start = '<!-- config:start -->';
const end = '<!-- config:end -->';
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from < 0 || to < from) {
  console.error(`README.md lacks the ${start} … ${end} markers; add them where the table belongs.`);
  process.exit(1);
}
const next = `${readme.slice(0, from + start.length)}\n${configTable()}\n${readme.slice(to)}`;
fs.writeFileSync(file, next);
console.log('README.md configuration table updated');
