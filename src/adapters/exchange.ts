/** The file exchange FILE_EXCHANGE names, over the adapter that implements its shared store. */
import type { Config } from '../config';
import { sharedDiskExchange, storeExchange, type Exchange } from '../domain/exchange/exchange';
import { mlflowSharedStore } from './mlflow/shared-store';

export function openExchange(cfg: Config): Exchange {
  return cfg.paths.exchange === 'mlflow'
    ? storeExchange(
        mlflowSharedStore(cfg.mlflow, `pipeline/${cfg.mlflow.registeredModel}`),
        cfg.paths.dataDir,
      )
    : sharedDiskExchange();
}
