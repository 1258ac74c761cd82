import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { proxyRoot } from '../../../src/adapters/mlflow/artifacts';
import { MlflowClient } from '../../../src/adapters/mlflow/client';
import { MlflowInputError } from '../../../src/adapters/mlflow/errors';
import { FakeMlflow, mlflowError } from './fake-server';

const URI = 'mlflow-artifacts:/3/abc/artifacts';
const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

describe('proxyRoot', () => {
  it.each([
    [URI, '3/abc/artifacts'],
    ['mlflow-artifacts://host:5000/3/abc/artifacts/', '3/abc/artifacts'],
    [`http://h:5000${PROXY}/3/abc/artifacts`, '3/abc/artifacts'],
  ])('maps %s', (uri, root) => expect(proxyRoot(uri)).toBe(root));

  it('explains what to do when the server does not proxy artifacts', () => {
    expect(() => proxyRoot('file:///tmp/mlruns/3/abc/artifacts')).toThrow(/--serve-artifacts/);
    expect(() => proxyRoot('s3://bucket/x')).toThrow(MlflowInputError);
  });
});

describe('MlflowArtifacts against a fake server', () => {
  let fake: FakeMlflow;
  let client: MlflowClient;
  let tmp: string;
  beforeEach(async () => {
    fake = await new FakeMlflow().start();
    client = new MlflowClient({ trackingUri: fake.url, requestTimeoutMs: 5000 });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mlflow-art-'));
  });
  afterEach(async () => {
    await fake.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('uploads a whole folder, one PUT per file, keeping the layout', async () => {
    const dir = path.join(tmp, 'model');
    await fs.mkdir(path.join(dir, 'shards'), { recursive: true });
    await fs.writeFile(path.join(dir, 'model.json'), '{"format":"layers-model"}');
    await fs.writeFile(path.join(dir, 'shards', 'group1 shard1of1.bin'), Buffer.from([1, 2, 3]));
    const r = await client.artifacts.uploadDirectory(URI, dir, 'model');
    expect(r).toEqual({ files: 2, bytes: 25 + 3 });
    const puts = fake.calls('').map((q) => [q.method, q.path, q.headers['content-type'], q.body.length]);
    expect(puts).toEqual([
      ['PUT', `${PROXY}/3/abc/artifacts/model/model.json`, 'application/octet-stream', 25],
      ['PUT', `${PROXY}/3/abc/artifacts/model/shards/group1 shard1of1.bin`, 'application/octet-stream', 3],
    ]);
  });

  it('refuses artifact paths that climb out of the run', async () => {
    await expect(client.artifacts.upload(URI, '../other-run/x', new Uint8Array(1))).rejects.toThrow(
      /without \. or \.\./,
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('lists with paths relative to the run root', async () => {
    fake.handler = (q) => {
      expect(q.query.get('path')).toBe('3/abc/artifacts/model');
      return {
        json: {
          files: [
            { path: 'model.json', is_dir: false, file_size: 25 },
            { path: 'shards', is_dir: true },
          ],
        },
      };
    };
    await expect(client.artifacts.list(URI, 'model')).resolves.toEqual([
      { path: 'model/model.json', is_dir: false, file_size: 25 },
      { path: 'model/shards', is_dir: true },
    ]);
  });

  it('downloads a folder atomically: a failure leaves the old folder untouched and no temp folder', async () => {
    fake.handler = (q) => {
      if (q.method === 'GET' && q.path === PROXY) {
        return {
          json: {
            files: [
              { path: 'a.bin', is_dir: false },
              { path: 'b.bin', is_dir: false },
            ],
          },
        };
      }
      if (q.path.endsWith('/a.bin')) return { bytes: Buffer.from('new-a') };
      return mlflowError(500, 'INTERNAL_ERROR', 'disk on fire');
    };
    const target = path.join(tmp, 'champion');
    await fs.mkdir(target);
    await fs.writeFile(path.join(target, 'a.bin'), 'old-a');
    await expect(client.artifacts.downloadDirectory(URI, 'model', target)).rejects.toThrow(/disk on fire/);
    expect(await fs.readFile(path.join(target, 'a.bin'), 'utf8')).toBe('old-a');
    expect(await fs.readdir(tmp)).toEqual(['champion']);

    fake.handler = (q) =>
      q.method === 'GET' && q.path === PROXY
        ? { json: { files: [{ path: 'a.bin', is_dir: false }] } }
        : { bytes: Buffer.from('new-a') };
    await expect(client.artifacts.downloadDirectory(URI, 'model', target)).resolves.toEqual({ files: 1 });
    expect(await fs.readFile(path.join(target, 'a.bin'), 'utf8')).toBe('new-a');
    expect(await fs.readdir(tmp)).toEqual(['champion']);
  });
});
