import type { AudioModel } from 'openai/resources/audio/audio';
import type { SpeechModel } from 'openai/resources/audio/speech';
import type { ChatModel as OpenAIChatModel } from 'openai/resources/shared';

// The SDK's lists, kept current by OpenAI; any other name works too (new models,
// fine-tunes, or a compatible server's models).

/** A chat model, e.g. `gpt-4o` or `gpt-4o-mini`. */
export type ChatModel = OpenAIChatModel | (string & {});
/** A transcription model, e.g. `whisper-1` or `gpt-4o-transcribe`. */
export type STTModel = AudioModel | (string & {});
/** A speech model, e.g. `tts-1`, `tts-1-hd` or `gpt-4o-mini-tts`. */
export type TTSModel = SpeechModel | (string & {});
/** A voice of the speech models. */
export type TTSVoice =
  | 'alloy'
  | 'ash'
  | 'ballad'
  | 'coral'
  | 'echo'
  | 'fable'
  | 'nova'
  | 'onyx'
  | 'sage'
  | 'shimmer'
  | 'verse'
  | (string & {});
