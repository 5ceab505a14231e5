// CONTRACT for issue 11 (agreed before implementation): the VoiceAssistant's public options and
// events. The class itself is `VoiceAssistant` in voice/assistant.ts:
//
//   const assistant = new voice.VoiceAssistant({ vad, stt, llm, tts, chatCtx, tools, ... });
//   assistant.on('user_speech_committed', (e) => ...);
//   await ctx.connect();
//   await assistant.start(ctx.room);       // a room job: listens to the first participant
//   await assistant.start(ctx);            // a JobContext: the binding comes from ctx.voiceIO()
//   await assistant.start(io);             // or a VoiceIO directly (tests, custom bindings)
//   const handle = assistant.say('Hello!', { allowInterruptions: true, addToChatCtx: true });
//   await handle.waitForPlayout();
//   await assistant.close();               // bounded (≤ 5 s) whatever the state
import type { DisconnectReason } from '@livekit/rtc-node';
import type * as llm from '../llm/index.js';
import type * as stt from '../stt/index.js';
import type * as tokenize from '../tokenize/index.js';
import type * as tts from '../tts/index.js';
import type * as vad from '../vad/index.js';
import type { UnlinkReason } from './io.js';

export interface VoiceAssistantOptions {
  vad: vad.VAD;
  /** A non-streaming STT is wrapped in `stt.StreamAdapter` with the `vad`. */
  stt: stt.STT;
  llm: llm.LLM;
  /** A non-streaming TTS is wrapped in `tts.StreamAdapter` with the sentence tokenizer. */
  tts: tts.TTS;
  chatCtx?: llm.ChatContext;
  /** Function tools the LLM may call. */
  tools?: llm.ToolContext;
  allowInterruptions?: boolean; // default true
  /** Seconds of user speech over the agent before it counts as an interruption (default 0.5). */
  interruptSpeechDuration?: number;
  /** Words the user must have said (interim transcript) before interrupting; 0 = off (default). */
  interruptMinWords?: number;
  /** Seconds after the last voiced audio before a turn may end, once a final transcript is in hand (default 0.5). */
  minEndpointingDelay?: number;
  /** Seconds after the last voiced audio at which the turn ends even with no final (default 3). */
  maxEndpointingDelay?: number;
  /** Seconds of no words after an interruption before it is judged false and the reply resumes (default 2). */
  falseInterruptionTimeout?: number;
  /** Start the LLM and TTS before the turn is confirmed; nothing is played or committed before it is (default true). */
  preemptiveSynthesis?: boolean;
  /** Forward transcripts to the binding's text outputs (default true). */
  transcription?: boolean;
  sentenceTokenizer?: tokenize.SentenceTokenizer;
  wordTokenizer?: tokenize.WordTokenizer;
  hyphenateWord?: (word: string) => string[];
  /** Syllables per second used to pace transcripts when the TTS gives no word timings (default 3.83). */
  transcriptionSpeed?: number;
  /** Output gain 0..1 (default 1); ducked while the user seems to speak. */
  baseVolume?: number;
  /** LLM rounds with tool calls per reply before tools are refused (default 3). */
  maxToolSteps?: number;
  /** Called before each LLM request; may return a different stream (RAG, guardrails). */
  beforeLLM?: (
    assistant: unknown,
    chatCtx: llm.ChatContext,
  ) => llm.LLMStream | undefined | Promise<llm.LLMStream | undefined>;
}

/** One agent utterance's life: exactly one terminal state. */
export type SpeechOutcome = 'done' | 'interrupted' | 'cancelled' | 'failed';

export interface VoicePipelineMetrics {
  type: 'voice_turn';
  speechId: string;
  /** All in ms from one monotonic clock (`performance.now()` or the binding's `now`). */
  userSpeechEndedAt?: number;
  finalTranscriptAt?: number;
  endOfTurnAt?: number;
  /** When the reply's LLM request was sent and its first token came (a preemptive reply: before the end of turn). */
  llmStartedAt?: number;
  llmFirstTokenAt?: number;
  llmTtftMs?: number;
  /** When the TTS was first given text and its first audio came. */
  ttsStartedAt?: number;
  ttsFirstAudioAt?: number;
  ttsTtfbMs?: number;
  firstAudioPlayedAt?: number;
  /** First agent audio played − end of the user's voiced audio. */
  endToEndMs?: number;
}

export interface VoiceAssistantEvents {
  user_started_speaking: { at: number };
  user_stopped_speaking: { at: number };
  agent_started_speaking: { speechId: string; at: number };
  agent_stopped_speaking: { speechId: string; at: number; outcome: SpeechOutcome };
  user_speech_committed: { text: string; at: number };
  /** `text` is what was heard (for an interrupted speech, the heard prefix). */
  agent_speech_committed: { speechId: string; text: string; interrupted: boolean; at: number };
  agent_speech_interrupted: { speechId: string; heardText: string; at: number };
  /**
   * The agent's speech was paused (the output fades out from `at`) because the user spoke over
   * it for `interruptSpeechDuration`. Their words then interrupt it for good; if none
   * come, `agent_false_interruption` follows and the speech resumes where it paused.
   */
  agent_speech_paused: { speechId: string; at: number };
  agent_false_interruption: { speechId: string; resumed: boolean; at: number };
  function_calls_collected: { speechId: string; calls: llm.FunctionCall[] };
  function_calls_finished: { speechId: string; calls: llm.FunctionCall[]; results: unknown[] };
  metrics_collected: VoicePipelineMetrics;
  /** A room binding started listening to this participant. */
  participant_linked: { identity: string; at: number };
  /**
   * The binding stopped listening to this participant: they left (see
   * `disconnectReason`), someone else was linked, or the binding closed.
   * With no fixed identity, the next participant who joins is linked.
   */
  participant_unlinked: {
    identity: string;
    reason: UnlinkReason;
    disconnectReason?: DisconnectReason;
    at: number;
  };
  error: {
    error: Error;
    source: 'vad' | 'stt' | 'llm' | 'tts' | 'io' | 'tool';
    recoverable: boolean;
  };
}
