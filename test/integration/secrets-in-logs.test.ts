/**
 * No configured secret in any log the stack or the tests wrote. Runs against whatever logs exist
 * (the stack's, the shared provisioning logs, *.log files under the repository), so it is most telling
 * after the rest of the suite has run; on its own it still covers the stack's startup logs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, REPO_ROOT } from '../../src/config';

const cfg = loadConfig();

/** Each secret as set, and in the encodings it would take in a URL or an HTTP basic-auth header. */
function secretForms(): { name: string; text: string }[] {
  const raw: [string, string | undefined][] = [
    ['POSTGRES_PASSWORD', cfg.postgres.password],
    ['MLFLOW_TRACKING_PASSWORD', cfg.mlflow.password],
    ['KAFKA_SASL_PASSWORD', cfg.kafka.sasl?.password],
    ['TEMPORAL_API_KEY', cfg.temporal.apiKey],
  ];
  const forms: { name: string; text: string }[] = [];
  for (const [name, value] of raw) {
    if (!value) continue;
    forms.push({ name, text: value });
    if (encodeURIComponent(value) !== value)
      forms.push({ name: `${name} (URL-encoded)`, text: encodeURIComponent(value) });
  }
  const basic = Buffer.from(`${cfg.mlflow.username}:${cfg.mlflow.password}`).toString('base64');
  forms.push({ name: 'MLFLOW_TRACKING_PASSWORD (basic-auth header)', text: basic });
  return forms;
}

const SKIP_DIRS = new Set(['node_modules', '.git']);

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) out.push(...filesUnder(full, keep));
    else if (entry.isFile() && keep(full)) out.push(full);
  }
  return out;
}

function logFiles(): string[] {
  const isLog = (f: string) => /\.log(\.\d+)?$|\.out$/.test(f);
  return [
    ...new Set([
      // Everything in the stack's log folder (service logs, Kafka's own log4j files), whatever the name.
      ...filesUnder(path.join(cfg.stack.stateDir, 'logs'), () => true),
      ...filesUnder(path.join(cfg.stack.cacheDir, 'logs'), () => true),
      ...filesUnder(REPO_ROOT, isLog),
    ]),
  ];
}

describe('secrets in logs', () => {
  it('finds the stack logs it is meant to search', () => {
    const files = logFiles().map((f) => path.basename(f));
    for (const s of ['postgres', 'kafka', 'temporal', 'mlflow']) expect(files).toContain(`${s}.log`);
  });

  it('finds no configured secret in any of them', () => {
    const secrets = secretForms();
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const leaks: string[] = [];
    for (const file of logFiles()) {
      const text = fs.readFileSync(file, 'latin1');
      for (const s of secrets) {
        const at = text.indexOf(s.text);
        if (at >= 0) {
          const line = text.slice(0, at).split('\n').length;
          leaks.push(`${s.name} in ${path.relative(REPO_ROOT, file)}:${line}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});
