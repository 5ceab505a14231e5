// A voice agent that answers weather questions: Silero hears when the user
// speaks, Deepgram transcribes, OpenAI answers (calling `getWeather` when
// asked about the weather), ElevenLabs speaks. The same file runs
//   as a worker:      tsx agent.ts dev            (LIVEKIT_URL, LIVEKIT_API_KEY/SECRET)
//   on WAV files:     tsx agent.ts console --input in.wav --output out.wav [--json]
// with DEEPGRAM_API_KEY, OPENAI_API_KEY and ELEVEN_API_KEY set. Only the
// binding the assistant gets for `ctx.room` differs between the two.
import { fileURLToPath } from 'node:url';
import { cli, defineAgent, type JobContext, type JobProcess, llm, log, voice } from '@agents/core';
import * as deepgram from '@agents/plugin-deepgram';
import * as elevenlabs from '@agents/plugin-elevenlabs';
import * as openai from '@agents/plugin-openai';
import * as silero from '@agents/plugin-silero';
import { z } from 'zod';

const INSTRUCTIONS =
  'You are a voice assistant. Your answers are spoken aloud: answer in one short sentence, ' +
  'with no lists, markup or emoji. For any question about the weather, call getWeather.';

// The demo's ElevenLabs stand-in has a recording for exactly this text.
const GREETING = 'Hello, how can I help?';

// A stand-in for a weather service, so that the example needs no other account:
// replace `execute` with a call to the forecast API of your choice.
const FORECASTS: Record<string, { condition: string; temperatureC: number }> = {
  paris: { condition: 'sunny', temperatureC: 22 },
  london: { condition: 'cloudy', temperatureC: 14 },
  rome: { condition: 'sunny', temperatureC: 28 },
};

const tools = {
  getWeather: llm.tool({
    description: 'The weather today in a city',
    parameters: z.object({ location: z.string().describe('The city, e.g. "Paris"') }),
    execute: async ({ location }) => {
      const forecast = FORECASTS[location.trim().toLowerCase()];
      return forecast
        ? { location, ...forecast }
        : { location, error: 'no forecast for this place; offer Paris, London or Rome' };
    },
  }),
};

export default defineAgent({
  // Runs once per job process, before any job: the VAD model loads here, not mid-call.
  prewarm: async (proc: JobProcess) => {
    proc.userData.vad = await silero.VAD.load();
  },
  entry: async (ctx: JobContext) => {
    const logger = log().child({ jobId: ctx.job.id });
    await ctx.connect();
    const vad = (ctx.proc.userData.vad as silero.VAD | undefined) ?? (await silero.VAD.load());
    // The base URLs are read only when set: the demo points them at its stand-ins.
    // (The OpenAI client reads OPENAI_BASE_URL itself.)
    const stt = new deepgram.STT({ baseURL: process.env.DEEPGRAM_BASE_URL });
    const tts = new elevenlabs.TTS({ baseURL: process.env.ELEVEN_BASE_URL });
    const assistant = new voice.VoiceAssistant({
      vad,
      stt,
      llm: new openai.LLM({ model: 'gpt-4o-mini' }),
      tts,
      chatCtx: llm.ChatContext.from([{ role: 'system', content: INSTRUCTIONS }]),
      tools,
    });
    assistant.on('error', ({ error, source, recoverable }) => {
      logger.warn({ err: error, source, recoverable }, 'voice assistant error');
    });
    assistant.on('participant_unlinked', ({ identity, reason }) => {
      logger.info({ identity, reason }, 'stopped listening to a participant');
    });
    // The job's end closes the assistant; the models keep warm connections
    // between replies, closed after it.
    ctx.addShutdownCallback(async () => {
      await Promise.all([stt.close(), tts.close()]);
    });
    // Listens to the first participant who joins (or `start(ctx.room, 'their-identity')`),
    // publishes the agent's voice and both sides' transcriptions. The job ends when
    // that participant hangs up.
    await assistant.start(ctx.room);
    assistant.say(GREETING, { allowInterruptions: true });
  },
});

cli.runApp({ agent: fileURLToPath(import.meta.url) });
