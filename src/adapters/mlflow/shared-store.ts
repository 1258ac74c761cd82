/**
 * The SharedStore port over MLflow's artifact proxy (`mlflow server --serve-artifacts`): hosts that share
 * no disk put and get files under one root of the artifact destination, through the tracking server
 * they already reach, with its basic auth. In production the destination is an object store
 * (`--artifacts-destination s3://…`); the workers never need its credentials.
 */
import type { SharedStore } from '../../domain/exchange/port';
import { MlflowArtifacts } from './artifacts';
import { MlflowError } from './errors';
import { MlflowHttp, type MlflowConnection } from './http';

export function mlflowSharedStore(conn: MlflowConnection, root: string): SharedStore {
  const artifacts = new MlflowArtifacts(new MlflowHttp(conn));
  const uri = `mlflow-artifacts:/${root}`;
  return {
    put: (key, bytes) => artifacts.upload(uri, key, bytes),
    get: (key) =>
      artifacts.download(uri, key).catch((err: unknown) => {
        if (err instanceof MlflowError && err.status === 404) return undefined;
        throw err;
      }),
    list: async (folder) =>
      (await artifacts.list(uri, folder)).map((f) => ({
        name: f.path.split('/').at(-1) ?? f.path,
        isDir: Boolean(f.is_dir),
      })),
  };
}
