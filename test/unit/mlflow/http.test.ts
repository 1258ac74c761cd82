import util from 'node:util';
import { MlflowClient } from '../../../src/adapters/mlflow/client';
import { MlflowError } from '../../../src/adapters/mlflow/errors';
import { FakeMlflow, mlflowError } from './fake-server';

const RUN = {
  info: {
    run_id: 'r1',
    experiment_id: '1',
    status: 'RUNNING',
    artifact_uri: 'mlflow-artifacts:/1/r1/artifacts',
    lifecycle_stage: 'active',
  },
  data: {},
};

describe('MLflow transport', () => {
  let fake: FakeMlflow;
  const client = (extra: { username?: string; password?: string; requestTimeoutMs?: number } = {}) =>
    new MlflowClient({ trackingUri: fake.url, requestTimeoutMs: 5000, ...extra });

  beforeEach(async () => {
    fake = await new FakeMlflow().start();
  });
  afterEach(() => fake.stop());

  it('maps an MLflow error body to a typed MlflowError naming status, code, message and endpoint', async () => {
    fake.handler = () => mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'Run with id=nope not found');
    const err = await client()
      .tracking.getRun('nope')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    const e = err as MlflowError;
    expect(e.status).toBe(404);
    expect(e.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(e.endpoint).toBe('GET /api/2.0/mlflow/runs/get');
    expect(e.isNotFound).toBe(true);
    expect(e.message).toBe(
      'MLflow GET /api/2.0/mlflow/runs/get failed: HTTP 404 RESOURCE_DOES_NOT_EXIST: Run with id=nope not found',
    );
  });

  it('keeps a readable excerpt of a non-JSON error page and derives the code from the status', async () => {
    fake.handler = () => ({ status: 502, text: '<html><body><h1>Bad Gateway</h1></body></html>' });
    const e = (await client()
      .tracking.getRun('r1')
      .catch((x: unknown) => x)) as MlflowError;
    expect(e.errorCode).toBe('INTERNAL_ERROR');
    expect(e.serverMessage).toBe('Bad Gateway');
    expect(e.retryable).toBe(true);
  });

  it('reports a 200 answer that is not JSON as UNEXPECTED_RESPONSE', async () => {
    fake.handler = () => ({ text: '<html>some other web app</html>' });
    await expect(client().tracking.getRun('r1')).rejects.toMatchObject({ errorCode: 'UNEXPECTED_RESPONSE' });
  });

  it.each([400, 403, 404, 409])(
    'sends a request answered %i exactly once and marks it not retryable',
    async (status) => {
      fake.handler = () => mlflowError(status, 'INVALID_PARAMETER_VALUE', 'nope');
      const e = (await client()
        .tracking.updateRun('r1', { status: 'FINISHED' })
        .catch((x: unknown) => x)) as MlflowError;
      expect(e.retryable).toBe(false);
      expect(fake.requests).toHaveLength(1);
    },
  );

  it('does not retry a 503 either (the activity retry policy owns retries) but marks it retryable', async () => {
    fake.handler = () => mlflowError(503, 'TEMPORARILY_UNAVAILABLE', 'db busy');
    const e = (await client()
      .tracking.getRun('r1')
      .catch((x: unknown) => x)) as MlflowError;
    expect(e.retryable).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('times out a slow answer with TIMEOUT', async () => {
    fake.handler = () => ({ json: { run: RUN }, delayMs: 1000 });
    const started = Date.now();
    const e = (await client({ requestTimeoutMs: 150 })
      .tracking.getRun('r1')
      .catch((x: unknown) => x)) as MlflowError;
    expect(e.errorCode).toBe('TIMEOUT');
    expect(e.message).toMatch(/within 150 ms/);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('reports an unreachable server as NETWORK_ERROR with a hint how to start it', async () => {
    const url = fake.url;
    await fake.stop();
    const c = new MlflowClient({ trackingUri: url, requestTimeoutMs: 2000 });
    const e = (await c.tracking.getRun('r1').catch((x: unknown) => x)) as MlflowError;
    expect(e.errorCode).toBe('NETWORK_ERROR');
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.message).toMatch(/npm run stack -- up/);
    fake = await new FakeMlflow().start(); // for afterEach
  });

  it('stops at once when the caller aborts', async () => {
    fake.handler = () => ({ json: {}, delayMs: 2000 });
    const ac = new AbortController();
    const c = new MlflowClient({ trackingUri: fake.url, requestTimeoutMs: 5000 }, { signal: ac.signal });
    const pending = c.tracking.getRun('r1');
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toMatchObject({ errorCode: 'ABORTED', retryable: false });
  });

  describe('basic auth', () => {
    it('sends the credentials as a Basic authorization header', async () => {
      fake.handler = () => ({ json: { run: RUN } });
      await client({ username: 'alice', password: 's3cret:pw' }).tracking.getRun('r1');
      const expected = `Basic ${Buffer.from('alice:s3cret:pw').toString('base64')}`;
      expect(fake.requests[0]!.headers.authorization).toBe(expected);
    });

    it('sends no authorization header when no credentials are configured', async () => {
      fake.handler = () => ({ json: { run: RUN } });
      await client().tracking.getRun('r1');
      expect(fake.requests[0]!.headers.authorization).toBeUndefined();
    });

    it('refuses half-configured credentials and credentials in the URI', () => {
      expect(() => client({ username: 'alice' })).toThrow(
        /both MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD/,
      );
      expect(
        () => new MlflowClient({ trackingUri: 'http://u:p@127.0.0.1:5000', requestTimeoutMs: 1000 }),
      ).toThrow(/must not contain credentials/);
    });

    it('never shows the password: not in errors, not when the client is inspected', async () => {
      fake.handler = () => mlflowError(401, 'UNAUTHENTICATED', 'You are not authenticated.');
      const c = client({ username: 'alice', password: 'hunter2-secret' });
      const e = (await c.tracking.getRun('r1').catch((x: unknown) => x)) as MlflowError;
      expect(e.status).toBe(401);
      expect(e.message).toMatch(/MLFLOW_TRACKING_USERNAME/);
      const secretB64 = Buffer.from('alice:hunter2-secret').toString('base64');
      for (const shown of [
        e.message,
        e.stack ?? '',
        util.inspect(e, { depth: 5 }),
        util.inspect(c, { depth: 5 }),
        JSON.stringify(c),
      ]) {
        expect(shown).not.toContain('hunter2-secret');
        expect(shown).not.toContain(secretB64);
      }
    });
  });
});
