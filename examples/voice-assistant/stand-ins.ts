// The offline half of the demo: local stand-ins for Deepgram, OpenAI and
// ElevenLabs (from @agents/testing, speaking the services' real protocols),
// scripted so that the conversation on the committed recordings makes sense:
// the transcripts are the words spoken, the LLM calls getWeather and answers
// with what the tool returned, and every answer is a recorded voice.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeepgramStandIn,
  ElevenLabsStandIn,
  type OpenAIChatReply,
  type OpenAIRequest,
  OpenAIStandIn,
} from '@agents/testing';

export type Service = 'deepgram' | 'openai' | 'elevenlabs';
export const SERVICES: readonly Service[] = ['deepgram', 'openai', 'elevenlabs'];

/** The key that makes the demo use the real service. */
export const API_KEY_ENV: Record<Service, string> = {
  deepgram: 'DEEPGRAM_API_KEY',
  openai: 'OPENAI_API_KEY',
  elevenlabs: 'ELEVEN_API_KEY',
};

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

/** What each request of a committed recording says, with its bounds in seconds (fixtures/speech.json). */
export interface SpokenRequest {
  text: string;
  start: number;
  end: number;
}

export function spokenRequests(input: string): SpokenRequest[] | undefined {
  const all = JSON.parse(readFileSync(fixture('speech.json'), 'utf8')) as Record<
    string,
    SpokenRequest[]
  >;
  return all[basename(input)];
}

/** The agent's answers, each with the recording the ElevenLabs stand-in plays for it. */
export const GREETING = 'Hello, how can I help?';
const ANSWERS: Record<string, string> = {
  paris: 'Sunny in Paris, twenty two degrees.',
  london: 'London is cloudy, fourteen degrees.',
  rome: 'Rome is warm and sunny today, twenty eight degrees, with a light breeze this afternoon and clear skies all evening.',
};
const NO_CITY = 'I can tell you the weather in Paris, London or Rome.';
const RECORDINGS: [string, string][] = [
  [GREETING, 'reply-greeting.wav'],
  [ANSWERS.paris, 'reply-paris.wav'],
  [ANSWERS.london, 'reply-london.wav'],
  [ANSWERS.rome, 'reply-rome.wav'],
  [NO_CITY, 'reply-other.wav'],
];

export interface StandInsOptions {
  /** The services to stand in for; the others are left to the real ones. */
  services: readonly Service[];
  /** The recording the agent will hear: a committed one gets its words as transcripts. */
  input: string;
  /** 'realistic': the services' typical delays (the demo); 'none': as fast as possible (tests). */
  latency: 'none' | 'realistic';
}

export interface StandIns {
  /** What the agent's process needs in its environment to use them. */
  env: Record<string, string>;
  deepgram?: DeepgramStandIn;
  openai?: OpenAIStandIn;
  elevenlabs?: ElevenLabsStandIn;
  close(): Promise<void>;
}

// The stand-ins accept any key; the plugins insist on having one.
const KEY = 'stand-in';

export async function startStandIns(options: StandInsOptions): Promise<StandIns> {
  const { services, latency } = options;
  const started: StandIns = {
    env: {},
    close: async () => {
      await Promise.all([
        started.deepgram?.close(),
        started.openai?.close(),
        started.elevenlabs?.close(),
      ]);
    },
  };
  try {
    if (services.includes('deepgram')) {
      const dg = await DeepgramStandIn.start({ latency });
      const requests = spokenRequests(options.input);
      if (requests) dg.scriptTranscripts(...requests.map((r) => r.text));
      started.deepgram = dg;
      Object.assign(started.env, { DEEPGRAM_API_KEY: KEY, DEEPGRAM_BASE_URL: dg.url });
    }
    if (services.includes('openai')) {
      const firstChunkDelayMs = latency === 'realistic' ? 350 : 0;
      const oa: OpenAIStandIn = await OpenAIStandIn.start({
        onRequest: (request) => {
          const reply = chatReply(request);
          if (reply) oa.scriptChat({ ...reply, firstChunkDelayMs });
        },
      });
      started.openai = oa;
      Object.assign(started.env, { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: oa.url });
    }
    if (services.includes('elevenlabs')) {
      const el = await ElevenLabsStandIn.start({ latency });
      for (const [text, file] of RECORDINGS) el.registerAudio(text, fixture(file));
      started.elevenlabs = el;
      Object.assign(started.env, { ELEVEN_API_KEY: KEY, ELEVEN_BASE_URL: `${el.url}/v1` });
    }
  } catch (error) {
    await started.close();
    throw error;
  }
  return started;
}

interface Message {
  role: string;
  content?: unknown;
}

/**
 * The scripted model, decided per request from the conversation so far, so a
 * request the assistant abandons (a preemptive reply to a transcript that then
 * changed) does not shift the answers: a user turn gets a getWeather call for
 * the city it names, a tool result gets the answer for that city's weather.
 */
function chatReply(request: OpenAIRequest): OpenAIChatReply | undefined {
  if (request.endpoint !== 'chat') return undefined;
  const messages = (request.body as { messages?: Message[] } | undefined)?.messages ?? [];
  const last = messages.at(-1);
  const city = cityIn(textOf(last?.content));
  if (last?.role === 'user') {
    return city
      ? { toolCalls: [{ name: 'getWeather', arguments: { location: titleCase(city) } }] }
      : { content: NO_CITY };
  }
  if (last?.role === 'tool') return { content: city ? ANSWERS[city] : NO_CITY };
  return undefined;
}

function cityIn(text: string): string | undefined {
  const lower = text.toLowerCase();
  return Object.keys(ANSWERS).find((city) => lower.includes(city));
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => textOf(part?.text)).join(' ');
  return '';
}

function titleCase(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
