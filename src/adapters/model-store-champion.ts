/**
 * The champion as the model store names it (the current_model symlink), watched on the file system.
 * Promotion renames a new symlink over the old one, which fs.watch on the models folder reports at once;
 * a short poll backs it up, because file watches can miss events (network file systems, some containers).
 */
import fs from 'node:fs';
import type { ChampionSource } from '../domain/serving/champion';
import type { ModelStore } from '../domain/registry/store';

/** `refresh`: brings the store up to date first (the shared champion of hosts without a shared disk). */
export function modelStoreChampion(
  store: ModelStore,
  pollMs: number,
  refresh?: () => Promise<unknown>,
): ChampionSource {
  return {
    async championVersion() {
      await refresh?.();
      return (await store.champion())?.versionId ?? null;
    },
    watch(onChange) {
      let watcher: fs.FSWatcher | undefined;
      try {
        watcher = fs.watch(store.modelsDir, { persistent: false }, () => onChange());
        // A watch that breaks (folder removed and recreated) leaves the poll to carry on.
        watcher.on('error', () => watcher?.close());
      } catch {
        watcher = undefined;
      }
      const timer = setInterval(onChange, pollMs);
      timer.unref();
      return () => {
        clearInterval(timer);
        watcher?.close();
      };
    },
  };
}
