type SDK = typeof import('openai');

let loaded: SDK | undefined;
let loading: Promise<SDK> | undefined;

/**
 * The openai package, imported on the first request rather than with the
 * plugin: it is about a third of the plugin's import time, paid by every
 * worker and job process whether or not it ever calls OpenAI.
 */
export function loadSDK(): Promise<SDK> {
  loading ??= import('openai').then((sdk) => {
    loaded = sdk;
    return sdk;
  });
  return loading;
}

/** The package if a request has loaded it: an error from it can only exist once it has. */
export function loadedSDK(): SDK | undefined {
  return loaded;
}
