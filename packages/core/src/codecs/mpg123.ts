import type { MPEGDecodedAudio, MPEGDecoder } from 'mpg123-decoder';

export type { MPEGDecodedAudio, MPEGDecoder };

type Mpg123Module = typeof import('mpg123-decoder');

let loading: Promise<Mpg123Module> | undefined;

/**
 * Imports mpg123-decoder on first use only: its module embeds the WASM binary (a 76 KB
 * script) and the first decoder compiles it, about 35 ms + 30 ms measured here: a worker that
 * never decodes MP3 should not pay that at start-up. A failed import is not cached, so a later call tries again.
 */
function loadMpg123(): Promise<Mpg123Module> {
  loading ??= import('mpg123-decoder').catch((error: unknown) => {
    loading = undefined;
    throw new Error(
      'could not load mpg123-decoder, the MP3 decoder of @agents/core; ' +
        'reinstall dependencies (it is a dependency of @agents/core)',
      { cause: error },
    );
  });
  return loading;
}

/** A decoder whose WASM instance is ready to use. Each one owns its own WASM memory. */
export async function createMpg123(): Promise<MPEGDecoder> {
  const { MPEGDecoder } = await loadMpg123();
  // Gapless: the LAME/Xing header's encoder delay and padding are trimmed, so the decoded
  // length matches the source.
  const decoder = new MPEGDecoder({ enableGapless: true });
  await decoder.ready;
  return decoder;
}

/**
 * mpg123-decoder reports each bad frame twice: in `errors` and through `console.error`, which
 * it calls directly and has no option to turn off; a corrupt stream would then flood stderr
 * past our logger. decode() is synchronous, so no other code can run while console.error is
 * swapped out; the errors still reach the caller through `errors`.
 */
export function decodeQuietly(decoder: MPEGDecoder, bytes: Uint8Array): MPEGDecodedAudio {
  const original = console.error;
  console.error = () => {};
  try {
    return decoder.decode(bytes);
  } finally {
    console.error = original;
  }
}
