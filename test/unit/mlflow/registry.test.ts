import { MlflowError } from '../../../src/adapters/mlflow/errors';
import { mlflowError, useFakeMlflow } from './fake-server';

const mv = (status: string, extra: object = {}) => ({
  model_version: {
    name: 'mnist-cnn',
    version: '4',
    source: 'mlflow-artifacts:/1/r/artifacts/model',
    run_id: 'r',
    status,
    ...extra,
  },
});

describe('MlflowRegistry against a fake server', () => {
  const s = useFakeMlflow();

  it('registerModelVersion creates the version and polls until READY', async () => {
    let polls = 0;
    s.fake.handler = (q) => {
      if (q.path.endsWith('/model-versions/search')) return { json: {} };
      if (q.path.endsWith('/model-versions/create')) {
        expect(q.json()).toMatchObject({
          name: 'mnist-cnn',
          run_id: 'r',
          source: 'mlflow-artifacts:/1/r/artifacts/model',
        });
        return { json: mv('PENDING_REGISTRATION') };
      }
      return { json: mv(++polls < 3 ? 'PENDING_REGISTRATION' : 'READY') };
    };
    const r = await s.client.registry.registerModelVersion(
      { name: 'mnist-cnn', runId: 'r', source: 'mlflow-artifacts:/1/r/artifacts/model' },
      { pollMs: 10 },
    );
    expect(r.created).toBe(true);
    expect(r.version.status).toBe('READY');
    expect(polls).toBe(3);
  });

  it('registerModelVersion returns the version an earlier attempt registered from the same run and source', async () => {
    s.fake.handler = (q) => {
      if (q.path.endsWith('/model-versions/search')) {
        expect(q.query.get('filter')).toBe("name = 'mnist-cnn' and run_id = 'r'");
        return { json: { model_versions: [mv('READY').model_version] } };
      }
      if (q.path.endsWith('/model-versions/create')) throw new Error('must not create a second version');
      return { json: mv('READY') };
    };
    const r = await s.client.registry.registerModelVersion({
      name: 'mnist-cnn',
      runId: 'r',
      source: 'mlflow-artifacts:/1/r/artifacts/model',
    });
    expect(r).toMatchObject({ created: false, version: { version: '4' } });
  });

  it('waitUntilReady fails clearly on FAILED_REGISTRATION', async () => {
    s.fake.handler = () => ({ json: mv('FAILED_REGISTRATION', { status_message: 'copy failed' }) });
    const e = (await s.client.registry
      .waitUntilReady('mnist-cnn', '4')
      .catch((x: unknown) => x)) as MlflowError;
    expect(e).toBeInstanceOf(MlflowError);
    expect(e.message).toMatch(/mnist-cnn\/4 failed registration: copy failed/);
  });

  it('getModelVersionByAlias answers undefined for an unset alias or model; other errors still throw', async () => {
    // What MLflow 3.17 really answers for an unset alias on an existing model.
    s.fake.handler = () =>
      mlflowError(400, 'INVALID_PARAMETER_VALUE', 'Registered model alias champion not found.');
    await expect(s.client.registry.getModelVersionByAlias('mnist-cnn', 'champion')).resolves.toBeUndefined();
    s.fake.handler = () =>
      mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=mnist-cnn not found');
    await expect(s.client.registry.getModelVersionByAlias('mnist-cnn', 'champion')).resolves.toBeUndefined();
    s.fake.handler = () =>
      mlflowError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'alias'.");
    await expect(s.client.registry.getModelVersionByAlias('mnist-cnn', '')).rejects.toMatchObject({
      status: 400,
    });
    s.fake.handler = () => mlflowError(403, 'PERMISSION_DENIED', 'no');
    await expect(s.client.registry.getModelVersionByAlias('mnist-cnn', 'champion')).rejects.toMatchObject({
      status: 403,
    });
  });

  it('deleteAlias sends DELETE with a JSON body, as MLflow reads it', async () => {
    await s.client.registry.deleteAlias('mnist-cnn', 'challenger');
    const [q] = s.fake.requests;
    expect(q!.method).toBe('DELETE');
    expect(q!.json()).toEqual({ name: 'mnist-cnn', alias: 'challenger' });
  });
});
