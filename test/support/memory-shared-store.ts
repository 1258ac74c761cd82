import type { SharedStore } from '../../src/domain/exchange/port';

/** A SharedStore in memory, for unit tests; `files` is open so a test can tamper with what is stored. */
export function memorySharedStore(): SharedStore & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    put: async (key, bytes) => void files.set(key, new Uint8Array(bytes)),
    get: async (key) => files.get(key),
    list: async (folder) => {
      const names = new Map<string, boolean>();
      for (const key of files.keys()) {
        if (!key.startsWith(`${folder}/`)) continue;
        const [name, ...rest] = key.slice(folder.length + 1).split('/');
        names.set(name!, rest.length > 0);
      }
      return [...names].map(([name, isDir]) => ({ name, isDir }));
    },
  };
}
