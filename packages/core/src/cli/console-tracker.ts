import type { VoiceAssistantEvents } from '../voice/assistant-types.js';

/** How long after the user stops speaking a turn may still be committed (max endpointing + margin). */
const COMMIT_WINDOW_MS = 4_000;
/** Quiet time with nothing happening before the conversation counts as over. */
const SETTLE_MS = 500;

/**
 * Follows the assistant's events to tell when the conversation has settled:
 * nobody speaking, no user turn that may still be committed, no reply owed.
 */
export class ConversationTracker {
  readonly #now: () => number;
  #userSpeaking = false;
  #agentSpeaking = false;
  #replyOwed = false;
  #commitUntil = 0;
  #lastEventAt: number;

  constructor(now: () => number) {
    this.#now = now;
    this.#lastEventAt = now();
  }

  event(name: keyof VoiceAssistantEvents, payload: unknown): void {
    const now = this.#now();
    this.#lastEventAt = now;
    switch (name) {
      case 'user_started_speaking':
        this.#userSpeaking = true;
        this.#commitUntil = 0;
        break;
      case 'user_stopped_speaking':
        this.#userSpeaking = false;
        this.#commitUntil = now + COMMIT_WINDOW_MS;
        break;
      case 'user_speech_committed':
        this.#commitUntil = 0;
        this.#replyOwed = true;
        break;
      case 'agent_started_speaking':
        this.#agentSpeaking = true;
        this.#replyOwed = false;
        break;
      case 'agent_stopped_speaking':
        this.#agentSpeaking = false;
        this.#replyOwed = false;
        break;
      case 'error': {
        const { source } = payload as VoiceAssistantEvents['error'];
        // A failed reply is not spoken: nothing more is owed for this turn.
        if (source === 'llm' || source === 'tts' || source === 'tool') this.#replyOwed = false;
        break;
      }
    }
  }

  /** True when nothing is under way (with no assistant at all: only the quiet time counts). */
  settled(hasAssistant: boolean): boolean {
    const now = this.#now();
    if (now - this.#lastEventAt < SETTLE_MS) return false;
    if (!hasAssistant) return true;
    return (
      !this.#userSpeaking && !this.#agentSpeaking && !this.#replyOwed && now >= this.#commitUntil
    );
  }
}
