import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where downloaded model files live: `AGENTS_CACHE_DIR` if set, else the
 * platform's per-user cache directory (XDG on Linux) with an `agents` folder.
 */
export function getCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENTS_CACHE_DIR) return resolve(env.AGENTS_CACHE_DIR);
  switch (process.platform) {
    case 'darwin':
      return join(homedir(), 'Library', 'Caches', 'agents');
    case 'win32':
      return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'agents', 'Cache');
    default:
      return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'agents');
  }
}
