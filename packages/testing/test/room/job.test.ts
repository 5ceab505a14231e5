// A VoiceAssistant in a room job, on the FakeRoom: `start(ctx.room)` finds the
// job's binding, a whole turn goes through the room (the user's microphone in,
// the agent's track out, both sides' transcriptions published), the job ends
// when the user hangs up, and the job's teardown closes the assistant first.
import { JobContext, JobProcess, type voice, voice as voiceNs } from '@agents/core';
import { Job, Room as RoomInfo } from '@livekit/protocol';
import { DisconnectReason, type Room } from '@livekit/rtc-node';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeLLM, FakeRoom, FakeSTT, FakeTTS, FakeVAD, scaledMs } from '../../src/index.js';
import { nextEvent, rms, tone } from './fake-room-helpers.js';

const rooms: FakeRoom[] = [];
const assistants: voice.VoiceAssistant[] = [];

afterEach(async () => {
  await Promise.all(assistants.splice(0).map((a) => a.close()));
  await Promise.all(rooms.splice(0).map((r) => r.dispose()));
});

interface TestJob {
  room: FakeRoom;
  ctx: JobContext;
  /** Resolves with the reason the job asked to end for. */
  shutdown: Promise<string>;
  ending: AbortController;
}

function roomJob(): TestJob {
  const room = new FakeRoom({ name: 'weather' });
  rooms.push(room);
  const ending = new AbortController();
  let requested: (reason: string) => void = () => {};
  const shutdown = new Promise<string>((resolve) => {
    requested = resolve;
  });
  const ctx = new JobContext({
    info: {
      job: new Job({ id: 'AJ_test', room: new RoomInfo({ name: 'weather', sid: 'RM_test' }) }),
      url: 'ws://127.0.0.1:1',
      token: '',
      acceptArguments: { identity: 'agent', name: 'agent', metadata: '', attributes: {} },
      workerId: 'AW_test',
    },
    proc: new JobProcess(),
    // The binding uses only what FakeRoom stands in for (voice.RoomSurface).
    room: room as unknown as Room,
    ending: ending.signal,
    shutdownCallbacks: [],
    requestShutdown: (reason) => requested(reason),
  });
  return { room, ctx, shutdown, ending };
}

function assistant(options: {
  vad?: { startMs: number; endMs: number }[];
  stt?: ConstructorParameters<typeof FakeSTT>[0];
  llm?: string[];
  tts?: { text: string; audioMs: number }[];
}): voice.VoiceAssistant {
  const a = new voiceNs.VoiceAssistant({
    vad: new FakeVAD({ streams: [options.vad ?? []] }),
    stt: options.stt ? new FakeSTT(options.stt) : new FakeSTT({ streams: [[]] }),
    llm: new FakeLLM({ responses: (options.llm ?? []).map((content) => ({ content })) }),
    tts: new FakeTTS({ synthesize: options.tts ?? [] }),
    preemptiveSynthesis: false,
  });
  assistants.push(a);
  return a;
}

describe('a VoiceAssistant in a room job', () => {
  it(
    'hears the user through the room, answers on its own track, and publishes both transcripts',
    async () => {
      const { room, ctx } = roomJob();
      const alice = room.join('alice');
      const mic = alice.publishMicrophone({ sampleRate: 48000 });
      const agent = assistant({
        vad: [{ startMs: 200, endMs: 1200 }],
        stt: {
          streams: [
            [
              { atAudioMs: 300, type: 'start_of_speech' },
              { atAudioMs: 900, type: 'interim_transcript', text: 'What is the' },
              { atAudioMs: 1300, type: 'final_transcript', text: 'What is the weather?' },
              { atAudioMs: 1300, type: 'end_of_speech' },
            ],
          ],
        },
        llm: ['Sunny in Paris.'],
        tts: [{ text: 'Sunny in Paris.', audioMs: 900 }],
      });
      const linked: string[] = [];
      agent.on('participant_linked', ({ identity }) => linked.push(identity));
      await agent.start(ctx.room);

      const committed = nextEvent<[{ text: string }]>(agent, 'agent_speech_committed', 30_000);
      const listener = room.listenToAgent({ sampleRate: 24000 });
      // The user speaks (a tone stands for speech; the fakes' script decides the words), then silence.
      void mic.play(tone(1.5, 48000, 6000));
      const reader = listener[Symbol.asyncIterator]();
      let heard = 0;
      const hearing = (async () => {
        for (;;) {
          const next = await reader.next();
          if (next.done) return;
          if (rms(next.value) > 100) heard += next.value.samplesPerChannel / next.value.sampleRate;
          if (heard >= 0.5) return;
        }
      })();
      expect((await committed)[0].text).toBe('Sunny in Paris.');
      // Linked once, though the binding linked alice before the assistant listened.
      expect(linked).toEqual(['alice']);
      await hearing;
      expect(heard).toBeGreaterThanOrEqual(0.5);

      // Transcriptions: the user's on their microphone track, the agent's on its own; finals last.
      await until(() => room.transcriptions.some((t) => isFinal(t, 'agent')));
      const user = room.transcriptions.filter(
        (t) => t.transcription.participantIdentity === 'alice',
      );
      const spoken = room.transcriptions.filter(
        (t) => t.transcription.participantIdentity === 'agent',
      );
      expect(user.at(-1)?.transcription.segments[0]).toMatchObject({
        text: 'What is the weather?',
        final: true,
      });
      expect(new Set(user.map((t) => t.transcription.trackSid))).toEqual(
        new Set([mic.publication.sid]),
      );
      expect(spoken.at(-1)?.transcription.segments[0]).toMatchObject({
        text: 'Sunny in Paris.',
        final: true,
      });
      const agentTrackSid = [...room.localParticipant.trackPublications.values()][0]?.sid;
      expect(new Set(spoken.map((t) => t.transcription.trackSid))).toEqual(
        new Set([agentTrackSid]),
      );
      // The user's final comes before the agent's first word.
      const userFinal = room.transcriptions.findIndex((t) => isFinal(t, 'alice'));
      const agentFirst = room.transcriptions.findIndex(
        (t) => t.transcription.participantIdentity === 'agent',
      );
      expect(userFinal).toBeGreaterThanOrEqual(0);
      expect(userFinal).toBeLessThan(agentFirst);
    },
    scaledMs(60_000),
  );

  it(
    'is interrupted in the room as in console mode: the agent transcript ends, final, at the heard text',
    async () => {
      const { room, ctx } = roomJob();
      const alice = room.join('alice');
      alice.publishMicrophone();
      const reply =
        'One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.';
      const agent = assistant({
        // The user's speech, in audio time: the input runs in real time, so this
        // comes well inside the agent's ten-second reply, whatever the machine's load.
        vad: [{ startMs: 3000, endMs: 4500 }],
        stt: {
          streams: [
            [
              { atAudioMs: 3100, type: 'start_of_speech' },
              { atAudioMs: 4400, type: 'final_transcript', text: 'Stop.' },
              { atAudioMs: 4500, type: 'end_of_speech' },
            ],
          ],
        },
        llm: ['Sure.'],
        tts: [
          { text: reply, audioMs: 10_000 },
          { text: 'Sure.', audioMs: 400 },
        ],
      });
      await agent.start(ctx.room);
      room.subscribeAgent();
      const interrupted = nextEvent<[{ speechId: string; heardText: string }]>(
        agent,
        'agent_speech_interrupted',
        30_000,
      );
      agent.say(reply);
      const [{ heardText }] = await interrupted;
      expect(heardText.length).toBeGreaterThan(0);
      expect(reply.startsWith(heardText)).toBe(true);
      expect(heardText.length).toBeLessThan(reply.length);
      // The agent's segment for that reply ends, final, at exactly the words heard.
      await until(() =>
        room.transcriptions.some(
          (t) => isFinal(t, 'agent') && t.transcription.segments[0]?.text.startsWith('One'),
        ),
      );
      const final = room.transcriptions.find(
        (t) => isFinal(t, 'agent') && t.transcription.segments[0]?.text.startsWith('One'),
      );
      expect(final?.transcription.segments[0]?.text).toBe(heardText);
    },
    scaledMs(60_000),
  );

  it('ends the job when the linked participant hangs up, and says so', async () => {
    const { room, ctx, shutdown } = roomJob();
    const alice = room.join('alice');
    alice.publishMicrophone();
    const agent = assistant({});
    await agent.start(ctx.room);
    const unlinked = nextEvent<[{ identity: string; reason: string }]>(
      agent,
      'participant_unlinked',
    );
    alice.leave(DisconnectReason.CLIENT_INITIATED);
    expect((await unlinked)[0]).toMatchObject({ identity: 'alice', reason: 'left' });
    expect(await shutdown).toMatch(/"alice" left \(CLIENT_INITIATED\)/);
  });

  it('goes on with the next participant when one leaves and another is in the room', async () => {
    const { room, ctx, shutdown } = roomJob();
    room.join('alice').publishMicrophone();
    room.join('bob').publishMicrophone();
    const agent = assistant({});
    await agent.start(ctx.room);
    const bobLinked = nextEvent(
      agent,
      'participant_linked',
      5000,
      (e: { identity: string }) => e.identity === 'bob',
    );
    room.remoteParticipants.get('alice')?.leave(DisconnectReason.CLIENT_INITIATED);
    await bobLinked;
    // The job decides once the binding has relinked (next turn of the event loop).
    const decided = await Promise.race([
      shutdown,
      new Promise<'going on'>((resolve) =>
        setImmediate(() => setImmediate(() => resolve('going on'))),
      ),
    ]);
    expect(decided).toBe('going on');
  });

  it('waits for a participant who dropped to come back, then ends the job', async () => {
    const { room, ctx, shutdown } = roomJob();
    room.join('alice').publishMicrophone();
    const agent = assistant({});
    await agent.start(ctx.room, undefined, { rejoinTimeoutMs: 50 });
    room.remoteParticipants.get('alice')?.leave(DisconnectReason.SIGNAL_CLOSE);
    expect(await shutdown).toMatch(/"alice" left \(SIGNAL_CLOSE\) and nobody joined within 50 ms/);
  });

  it('closes the assistant and its binding when the job tears down', async () => {
    const { room, ctx } = roomJob();
    room.join('alice').publishMicrophone();
    const agent = assistant({});
    await agent.start(ctx.room);
    expect(room.localParticipant.trackPublications.size).toBe(1);
    await ctx._closeVoice();
    expect(() => agent.say('too late')).toThrow(/closed/);
    expect(room.localParticipant.trackPublications.size).toBe(0);
  });

  it('refuses to bind before the room is joined, saying what to do', async () => {
    const { room, ctx } = roomJob();
    room.close();
    const agent = assistant({});
    await expect(agent.start(ctx.room)).rejects.toThrow(/await ctx\.connect\(\)/);
    // A failed start can be retried (here it fails the same way).
    await expect(agent.start(ctx.room)).rejects.toThrow(/await ctx\.connect\(\)/);
  });
});

function isFinal(
  t: { transcription: { participantIdentity: string; segments: { final: boolean }[] } },
  who: string,
): boolean {
  return (
    t.transcription.participantIdentity === who && t.transcription.segments.some((s) => s.final)
  );
}

/** Resolves once `check()` holds, looking at each turn of the event loop; rejects after `ms` (scaled). */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + scaledMs(ms);
  while (!check()) {
    if (performance.now() > deadline)
      throw new Error(`condition not met within ${scaledMs(ms)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
