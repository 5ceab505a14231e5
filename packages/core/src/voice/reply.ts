import type { ChatContext, FunctionCall } from '../llm/chat-context.js';
import { executeFunctions, type FunctionCallResult } from '../llm/execute.js';
import type { LLM, ToolChoice } from '../llm/llm.js';
import type { LLMStream } from '../llm/llm-stream.js';
import type { ToolContext } from '../llm/tool.js';
import { log } from '../log.js';
import type { SynthesizedAudio, TTS } from '../tts/tts.js';
import { abortable, DeadlineError, errorMessage, withDeadline } from '../utils/deadline.js';
import { AsyncQueue } from '../utils/queue.js';
import type { VoiceAssistantEvents } from './assistant-types.js';
import type { Clock } from './clock.js';
import { Alignment, type AlignmentOptions } from './heard-text.js';
import type { AudioOutput, TextOutput } from './io.js';
import type { SpeechHandle } from './speech-handle.js';
import { AgentTranscriptForwarder } from './transcript-forwarder.js';

/** Frames held between the TTS and the output (about 2 s): synthesis runs ahead of playout. */
const AUDIO_AHEAD_FRAMES = 100;
/** How long a cleared segment may take to report where it stopped. */
const CLEARED_REPORT_MS = 1000;

/** What a speech says: a reply generated from the chat context, or text given to `say()`. */
export type SpeechSource =
  | { kind: 'reply'; chatCtx: ChatContext }
  /** A reply built when its turn to play comes (it waits behind another speech). */
  | { kind: 'reply'; prepare: () => ChatContext }
  | { kind: 'text'; text: AsyncIterable<string> }
  | { kind: 'llm'; stream: LLMStream };

/** Per-speech timings, on the assistant's clock. */
export interface SpeechTimings {
  llmStartedAt?: number;
  llmFirstTokenAt?: number;
  ttsStartedAt?: number;
  ttsFirstAudioAt?: number;
}

type ErrorSource = VoiceAssistantEvents['error']['source'];

/** Everything a speech's runner uses from the assistant. */
export interface ReplyContext {
  clock: Clock;
  output: AudioOutput;
  agentTranscript: TextOutput | undefined;
  llm: LLM;
  tts: TTS;
  tools: ToolContext | undefined;
  maxToolSteps: number;
  toolTimeoutMs: number;
  alignment: AlignmentOptions;
  /** The conversation: what was said and heard is committed here. */
  chatCtx: ChatContext;
  beforeLLM?: (chatCtx: ChatContext) => Promise<LLMStream | undefined>;
  emit<E extends keyof VoiceAssistantEvents>(event: E, payload: VoiceAssistantEvents[E]): void;
  /** Resolves when this speech may write to the output (the ones before it are done). */
  waitForTurn(speech: SpeechHandle): Promise<void>;
}

/** A model failed: the speech ends `failed`, the conversation goes on. */
class ModelError extends Error {
  readonly source: ErrorSource;
  readonly error: Error;

  constructor(source: ErrorSource, error: unknown) {
    const cause = error instanceof Error ? error : new Error(String(error));
    super(`${source} failed: ${cause.message}`);
    this.source = source;
    this.error = cause;
  }
}

interface StepResult {
  /** All the text generated for this step. */
  generated: string;
  /** What was heard: `generated` when played out whole. */
  heard: string;
  stopped: boolean;
}

/**
 * Runs one speech to its end: LLM (or given text) → TTS → output, then the
 * tools loop for replies, committing to the chat context what was heard. Sets
 * the speech's outcome in a `finally`, whatever happens.
 */
export async function runSpeech(
  rc: ReplyContext,
  speech: SpeechHandle,
  source: SpeechSource,
  timings: SpeechTimings,
): Promise<void> {
  let outcome: 'done' | 'failed' = 'done';
  try {
    await runSteps(rc, speech, source, timings);
  } catch (error) {
    if (!speech.signal.aborted) {
      outcome = 'failed';
      const failure = error instanceof ModelError ? error : new ModelError('io', error);
      log().warn({ err: failure.error, speechId: speech.id }, failure.message);
      rc.emit('error', { error: failure.error, source: failure.source, recoverable: true });
    }
  } finally {
    const stopped = speech.stopReason;
    speech.settle(outcome === 'failed' ? 'failed' : (stopped?.outcome ?? 'done'));
  }
}

async function runSteps(
  rc: ReplyContext,
  speech: SpeechHandle,
  source: SpeechSource,
  timings: SpeechTimings,
): Promise<void> {
  let working: ChatContext | undefined;
  if (source.kind === 'reply' && 'prepare' in source) {
    await speech.waitForAuthorization();
    await rc.waitForTurn(speech);
    working = source.prepare();
  } else if (source.kind === 'reply') working = source.chatCtx;
  let toolChoice: ToolChoice | undefined;
  for (let step = 1; ; step++) {
    let llmStream: LLMStream | undefined;
    if (working) llmStream = await startLLM(rc, speech, working, toolChoice, timings);
    else if (source.kind === 'llm') llmStream = source.stream;
    const text = llmStream
      ? llmText(rc, llmStream, speech, timings)
      : (source as { text: AsyncIterable<string> }).text;
    const result = await playStep(rc, speech, text, timings);
    if (result.heard) speech.heardText = [speech.heardText, result.heard].filter(Boolean).join(' ');
    const calls = llmStream && !result.stopped ? [...llmStream.functionCalls] : [];
    if (calls.length === 0 || !working || !rc.tools || toolChoice === 'none') {
      commitText(rc, speech, result);
      return;
    }
    const results = await runTools(rc, speech, calls);
    const at = rc.clock.now();
    for (const ctx of [working, rc.chatCtx]) {
      ctx.appendToolCalls(calls, result.heard);
      ctx.appendToolResults(results);
    }
    if (result.heard) {
      rc.emit('agent_speech_committed', {
        speechId: speech.id,
        text: result.heard,
        interrupted: false,
        at,
      });
    }
    // A new user turn cancelled the tools: it is answered with the results in context.
    if (speech.signal.aborted) return;
    toolChoice = step >= rc.maxToolSteps ? 'none' : 'auto';
  }
}

async function startLLM(
  rc: ReplyContext,
  speech: SpeechHandle,
  chatCtx: ChatContext,
  toolChoice: ToolChoice | undefined,
  timings: SpeechTimings,
): Promise<LLMStream> {
  timings.llmStartedAt ??= rc.clock.now();
  try {
    const custom = rc.beforeLLM ? await abortable(rc.beforeLLM(chatCtx), speech.signal) : undefined;
    if (custom) {
      speech.signal.addEventListener('abort', () => void custom.close(), { once: true });
      return custom;
    }
    return rc.llm.chat({
      chatCtx,
      fncCtx: rc.tools,
      toolChoice: rc.tools && toolChoice ? toolChoice : undefined,
      signal: speech.signal,
    });
  } catch (error) {
    if (speech.signal.aborted) throw error;
    throw new ModelError('llm', error);
  }
}

/** The reply's text, piece by piece; its failure is the LLM's. */
async function* llmText(
  rc: ReplyContext,
  stream: LLMStream,
  speech: SpeechHandle,
  timings: SpeechTimings,
): AsyncGenerator<string> {
  try {
    for await (const chunk of stream) {
      const delta = chunk.delta;
      if (delta?.content || delta?.toolCalls?.length) timings.llmFirstTokenAt ??= rc.clock.now();
      if (delta?.content) yield delta.content;
    }
  } catch (error) {
    if (speech.signal.aborted) return;
    throw new ModelError('llm', error);
  }
}

/**
 * One segment: text into the TTS, its audio (held until the speech is
 * authorized and its turn comes) into the output, then the playout.
 */
async function playStep(
  rc: ReplyContext,
  speech: SpeechHandle,
  text: AsyncIterable<string>,
  timings: SpeechTimings,
): Promise<StepResult> {
  const { output, clock } = rc;
  const tts = rc.tts.stream();
  const alignment = new Alignment(rc.alignment);
  const audio = new AsyncQueue<SynthesizedAudio>({ capacity: AUDIO_AHEAD_FRAMES });
  const forwarder = rc.agentTranscript
    ? new AgentTranscriptForwarder(clock, output, rc.agentTranscript, alignment)
    : undefined;
  let generated = '';
  let captured = 0;
  let segmentId = '';
  let clearedAt: number | undefined;

  const onStop = () => {
    void tts.close();
    audio.close();
    if (captured > 0 && speech.playing) {
      output.clearBuffer();
      clearedAt = output.playedSeconds;
    }
  };
  speech.signal.addEventListener('abort', onStop, { once: true });

  const feeding = (async () => {
    for await (const piece of abortableIterable(text, speech.signal)) {
      if (!generated) timings.ttsStartedAt ??= clock.now();
      generated += piece;
      tts.pushText(piece);
    }
    if (!speech.signal.aborted) {
      tts.flush();
      tts.endInput();
    }
  })().catch((error: unknown) => {
    // Ends the audio loop, which would otherwise wait for text that never comes.
    void tts.close();
    audio.close();
    throw error instanceof ModelError || speech.signal.aborted
      ? error
      : new ModelError('llm', error);
  });
  const pumping = (async () => {
    try {
      for await (const event of tts) {
        if (event.type === 'audio') {
          timings.ttsFirstAudioAt ??= clock.now();
          await audio.put(event.audio, speech.signal);
        } else if (event.type === 'finished' && event.words) {
          alignment.addWords(event.words);
        }
      }
    } catch (error) {
      if (!speech.signal.aborted) throw new ModelError('tts', error);
    } finally {
      audio.close();
    }
  })();
  // Both are awaited below; until then a failure must not be reported as unhandled.
  feeding.catch(() => {});
  pumping.catch(() => {});

  try {
    await speech.waitForAuthorization();
    await rc.waitForTurn(speech);
    for await (const item of audio) {
      speech.signal.throwIfAborted();
      alignment.addAudio(item);
      speech.playing = true;
      await abortable(output.captureFrame(item.frame), speech.signal);
      captured++;
      if (captured === 1) forwarder?.start();
    }
    // The TTS first: when it fails, pushing text to it fails too.
    await pumping;
    await feeding;
    speech.signal.throwIfAborted();
    alignment.markComplete();
    segmentId = output.flush();
    if (segmentId) {
      const finished = await abortable(output.waitForPlayout(segmentId), speech.signal);
      if (finished.interrupted) {
        // Cleared by someone else (the binding): only what played was heard.
        const heard = alignment.heardText(finished.playbackPosition);
        forwarder?.finish(finished.playbackPosition);
        return { generated, heard, stopped: true };
      }
    }
    speech.playing = false;
    forwarder?.finish(undefined);
    return { generated, heard: generated.trim(), stopped: false };
  } catch (error) {
    if (!speech.signal.aborted) {
      onStop();
      speech.signal.removeEventListener('abort', onStop);
      forwarder?.finish(captured > 0 ? output.playedSeconds : 0);
      throw error;
    }
    const position = captured > 0 ? await heardPosition(output, segmentId, clearedAt) : 0;
    forwarder?.finish(position);
    return { generated, heard: captured > 0 ? alignment.heardText(position) : '', stopped: true };
  } finally {
    speech.signal.removeEventListener('abort', onStop);
    speech.playing = false;
    await tts.close();
    await Promise.allSettled([feeding, pumping]);
  }
}

/** Where a cleared segment stopped: the binding's report, else its playhead at the clear. */
async function heardPosition(
  output: AudioOutput,
  segmentId: string,
  clearedAt: number | undefined,
): Promise<number> {
  const fallback = clearedAt ?? output.playedSeconds;
  if (!segmentId) return fallback;
  try {
    const finished = await withDeadline(
      output.waitForPlayout(segmentId),
      CLEARED_REPORT_MS,
      'cleared segment did not report',
    );
    return finished.playbackPosition;
  } catch (error) {
    if (!(error instanceof DeadlineError)) log().warn({ err: error }, 'waitForPlayout failed');
    return fallback;
  }
}

function commitText(rc: ReplyContext, speech: SpeechHandle, result: StepResult): void {
  if (!speech.addToChatCtx || !result.heard) return;
  const interrupted = result.stopped;
  rc.chatCtx.append({ role: 'assistant', content: result.heard });
  rc.emit('agent_speech_committed', {
    speechId: speech.id,
    text: result.heard,
    interrupted,
    at: rc.clock.now(),
  });
}

async function runTools(
  rc: ReplyContext,
  speech: SpeechHandle,
  calls: FunctionCall[],
): Promise<FunctionCallResult[]> {
  rc.emit('function_calls_collected', { speechId: speech.id, calls });
  const results = await executeFunctions({
    calls,
    fncCtx: withTimeouts(rc.tools ?? {}, rc.toolTimeoutMs, rc.clock),
    parallel: true,
    signal: speech.signal,
  });
  rc.emit('function_calls_finished', {
    speechId: speech.id,
    calls,
    results: results.map((r) => (r.status === 'ok' ? r.result : r.message.content)),
  });
  return results;
}

/** The same tools, each call cut off after `timeoutMs` (an error result the model sees). */
function withTimeouts(tools: ToolContext, timeoutMs: number, clock: Clock): ToolContext {
  const wrapped: Record<string, ToolContext[string]> = {};
  for (const [key, fnc] of Object.entries(tools)) {
    const name = fnc.name ?? key;
    wrapped[key] = {
      ...fnc,
      name,
      execute: async (args, options) => {
        const stop = new AbortController();
        const onAbort = () => stop.abort(options.signal.reason);
        options.signal.addEventListener('abort', onAbort, { once: true });
        const cancelTimer = clock.setTimer(timeoutMs, () =>
          stop.abort(new DeadlineError(`timed out after ${timeoutMs / 1000} s`)),
        );
        try {
          const work = Promise.resolve().then(() =>
            fnc.execute(args, { ...options, signal: stop.signal }),
          );
          return await abortable(work, stop.signal);
        } catch (error) {
          if (options.signal.aborted) throw error;
          throw new Error(errorMessage(error));
        } finally {
          cancelTimer();
          options.signal.removeEventListener('abort', onAbort);
        }
      },
    };
  }
  return wrapped;
}

/** Iterates `source` until `signal` aborts, without waiting for a source that hangs. */
async function* abortableIterable<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    while (!signal.aborted) {
      const next = await abortable(iterator.next(), signal).catch((error: unknown) => {
        if (signal.aborted) return { done: true, value: undefined } as IteratorResult<T>;
        throw error;
      });
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Not awaited: a source stuck in next() may never answer return().
    void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
