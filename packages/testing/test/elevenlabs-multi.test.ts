import { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { MS_PER_CHARACTER } from '../src/elevenlabs/index.js';
import {
  expectConsistentChunk,
  LIVEKIT_QUERY,
  LIVEKIT_VOICE,
  type RawClient,
  samplesOf,
  standInPerTest,
} from './elevenlabs-client.js';

const env = standInPerTest();

/** One segment exactly as LiveKit's plugin sends it (providers-wire §5.2). */
function speakSegment(client: RawClient, contextId: string, sentences: string[]): void {
  client.send({ text: ' ', voice_settings: {}, context_id: contextId });
  for (const sentence of sentences) {
    client.send({ text: `${sentence} `, context_id: contextId, flush: true });
  }
  client.send({ text: '', context_id: contextId, flush: true });
  client.send({ context_id: contextId, close_context: true });
}

const samplesPerChar = Math.round((22_050 * MS_PER_CHARACTER) / 1000);

describe('ElevenLabsStandIn multi-stream-input, as LiveKit uses it', () => {
  it('speaks a segment: audio with consistent alignment, then one isFinal', async () => {
    const client = await env.open();
    speakSegment(client, 'ctx-1', ['Hello there.', 'How are you today?']);
    await client.waitFor((m) => m.isFinal === true, 'isFinal');

    const audio = client.audioOf('ctx-1');
    expect(audio.length).toBeGreaterThan(2); // several messages per sentence
    for (const message of audio) {
      expect(message.isFinal).toBeNull();
      expectConsistentChunk(message, 22_050);
    }
    const text = 'Hello there. How are you today? ';
    expect(client.spokenText('ctx-1')).toBe(text);
    const samples = audio.reduce((sum, m) => sum + samplesOf(m), 0);
    expect(samples).toBe(samplesPerChar * text.length);
    // isFinal comes once, after every audio message of the context.
    expect(client.finalsOf('ctx-1')).toEqual([{ isFinal: true, contextId: 'ctx-1' }]);
    expect(client.messages.at(-1)).toEqual({ isFinal: true, contextId: 'ctx-1' });

    const connection = await env.el.waitForConnection();
    expect(connection.kind).toBe('multi-stream-input');
    expect(connection.path).toBe(`/v1/text-to-speech/${LIVEKIT_VOICE}/multi-stream-input`);
    expect(connection.voiceId).toBe(LIVEKIT_VOICE);
    expect(connection.query.get('output_format')).toBe('pcm_22050');
    expect(connection.messages).toHaveLength(5);
    expect(connection.audioMsSent).toBeCloseTo((samples / 22_050) * 1000, 6);
  });

  it('is served without the /v1 prefix too (LiveKit tests use a bare base URL)', async () => {
    const client = await env.open({ prefix: '' });
    speakSegment(client, 'bare', ['Hi.']);
    await client.waitFor((m) => m.isFinal === true, 'isFinal');
    expect(client.spokenText('bare')).toBe('Hi. ');
  });

  it('keeps contexts apart on one socket, back to back and interleaved', async () => {
    const client = await env.open();
    speakSegment(client, 'a', ['First reply.']);
    await client.waitFor((m) => m.isFinal === true && m.contextId === 'a', 'isFinal a');
    // Two at once, their messages interleaved.
    client.send({ text: ' ', voice_settings: {}, context_id: 'b' });
    client.send({ text: ' ', voice_settings: {}, context_id: 'c' });
    client.send({ text: 'Bee speaks. ', context_id: 'b', flush: true });
    client.send({ text: 'Sea speaks louder. ', context_id: 'c', flush: true });
    client.send({ context_id: 'c', close_context: true });
    client.send({ context_id: 'b', close_context: true });
    await client.until(() => client.finalsOf().length === 3, 'three isFinal');

    expect(client.spokenText('a')).toBe('First reply. ');
    expect(client.spokenText('b')).toBe('Bee speaks. ');
    expect(client.spokenText('c')).toBe('Sea speaks louder. ');
    for (const id of ['a', 'b', 'c']) {
      expect(client.finalsOf(id)).toHaveLength(1);
      const lastAudio = client.messages.lastIndexOf(client.audioOf(id).at(-1)!);
      expect(client.messages.indexOf(client.finalsOf(id)[0]!)).toBeGreaterThan(lastAudio);
    }
  });

  it('sends no isFinal for a bare flush, only when the context closes', async () => {
    const client = await env.open();
    client.send({ text: ' ', voice_settings: {}, context_id: 'kept' });
    client.send({ text: 'Still open. ', context_id: 'kept', flush: true });
    await client.until(() => client.spokenText('kept') === 'Still open. ', 'flushed audio');
    // A later context's isFinal shows the server went past the flush without one.
    speakSegment(client, 'other', ['Done.']);
    await client.waitFor((m) => m.isFinal === true, 'isFinal');
    expect(client.finalsOf('kept')).toEqual([]);

    client.send({ context_id: 'kept', close_context: true });
    await client.waitFor((m) => m.isFinal === true && m.contextId === 'kept', 'isFinal kept');
    // Nothing was left to say: the close adds no audio.
    expect(client.spokenText('kept')).toBe('Still open. ');
  });

  it('speaks registered audio for its text, resampled to the asked rate', async () => {
    const pcm16k = new Int16Array(16_000).map((_, i) => Math.round(5000 * Math.sin(i / 10)));
    env.el.registerAudio('Scripted line.', [new AudioFrame(pcm16k, 16_000, 1, pcm16k.length)]);
    const client = await env.open();
    speakSegment(client, 's', ['Scripted line.', 'Synthetic line.']);
    await client.waitFor((m) => m.isFinal === true, 'isFinal');

    const audio = client.audioOf('s');
    for (const message of audio) expectConsistentChunk(message, 22_050);
    const scripted = audio.filter((m) => m.normalizedAlignment!.chars.join('').length > 0);
    let samples = 0;
    let text = '';
    for (const message of scripted) {
      if (text === 'Scripted line. ') break;
      samples += samplesOf(message);
      text += message.normalizedAlignment!.chars.join('');
    }
    expect(text).toBe('Scripted line. ');
    // One second of audio at 16 kHz, resampled to 22.05 kHz (the resampler may trim a few samples).
    expect(Math.abs(samples - 22_050)).toBeLessThan(100);
    expect(client.spokenText('s')).toBe('Scripted line. Synthetic line. ');
  });

  it('splits text at sentence ends with auto_mode, and waits for the schedule without it', async () => {
    const auto = await env.open();
    auto.send({ text: ' ', voice_settings: {}, context_id: 'x' });
    auto.send({ text: 'One sentence. And half ', context_id: 'x' });
    await auto.until(() => auto.spokenText('x') === 'One sentence. ', 'the first sentence');

    const scheduled = await env.open({
      query: LIVEKIT_QUERY.replace('auto_mode=true', 'auto_mode=false'),
    });
    scheduled.send({
      text: ' ',
      context_id: 'y',
      generation_config: { chunk_length_schedule: [50] },
    });
    scheduled.send({ text: 'Short words. ', context_id: 'y' }); // 13 characters: below 50
    scheduled.send({ text: 'x'.repeat(30), context_id: 'y' });
    scheduled.send({ text: ' more text to pass fifty ', context_id: 'y' });
    const expected = `Short words. ${'x'.repeat(30)} more text to pass fifty `;
    await scheduled.until(() => scheduled.spokenText('y') === expected, 'scheduled audio');
  });

  it("can count alignment times from the context's start instead ('context')", async () => {
    await env.restart({ alignmentTimes: 'context' });
    const client = await env.open();
    speakSegment(client, 'abs', ['First sentence here.', 'And a second one.']);
    await client.waitFor((m) => m.isFinal === true, 'isFinal');
    const ms = (samples: number) => Math.floor((samples * 1000) / 22_050);
    let samples = 0;
    for (const message of client.audioOf('abs')) {
      const { charStartTimesMs, charDurationsMs } = message.normalizedAlignment!;
      // Each message's characters sit inside its own stretch of the context's audio.
      expect(charStartTimesMs[0]).toBe(ms(samples));
      samples += samplesOf(message);
      expect(charStartTimesMs.at(-1)! + charDurationsMs.at(-1)!).toBe(ms(samples));
    }
  });
});
