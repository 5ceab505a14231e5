import { fileURLToPath } from 'node:url';
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
  Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveKitStandIn, scaledMs } from '../src/index.js';
import { findOrInstallChromium, killGroup } from './chromium.js';

/**
 * The playground page in a real headless Chromium: it joins the stand-in,
 * publishes a fake microphone fed from a WAV, hears a participant played by
 * rtc-node, and shows the transcriptions that participant publishes.
 */

// Chromium's fake capture resamples any PCM WAV to what the track asks for; this one is 16 kHz mono s16.
const MICROPHONE_WAV = fileURLToPath(
  new URL('../fixtures/conformance/speech-16k-mono.wav', import.meta.url),
);
const ROOM = 'playground-e2e';
const BROWSER_IDENTITY = 'browser-user';
const AGENT_IDENTITY = 'agent-bob';
/** Int16 RMS of speech from the WAV after Opus both ways; silence and comfort noise stay far below. */
const HEARD_RMS_FLOOR = 300;
/** The page's `audioLevel` (0..1) of the agent's 0.3-amplitude tone. */
const HEARD_LEVEL_FLOOR = 0.05;

const lookup = await findOrInstallChromium(scaledMs(600_000));
if ('skip' in lookup) console.warn(`playground.e2e: skipped: ${lookup.skip}`);
if ('path' in lookup && lookup.installed) {
  console.warn(`playground.e2e: installed chromium in ${lookup.installed.seconds.toFixed(1)} s`);
}

interface PlaygroundState {
  status: string;
  connected: boolean;
  connectMs?: number;
  microphone: { published: boolean; packetsSent: number };
  remoteAudio: { tracks: number; packetsReceived: number; level: number; peakLevel: number };
  ice?: { local: string; remote: string };
  transcripts: { id: string; identity: string; local: boolean; text: string; final: boolean }[];
  errors: string[];
}

describe.skipIf('skip' in lookup)('the playground page in headless Chromium', () => {
  let server: LiveKitStandIn;
  let browser: Browser | undefined;
  let browserPid: number | undefined;
  let page: Page;
  const agent = new Room();
  /** The page's console and failures, shown when a wait fails. */
  const consoleLines: string[] = [];

  beforeAll(async () => {
    server = await LiveKitStandIn.start({ port: 0 });
    if (!('path' in lookup)) return;
    browser = await puppeteer.launch({
      executablePath: lookup.path,
      headless: true,
      pipe: true,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      protocolTimeout: scaledMs(60_000),
      args: chromiumFlags(),
    });
    browserPid = browser.process()?.pid;
    page = await browser.newPage();
    const note = (line: string) => {
      consoleLines.push(line);
      if (consoleLines.length > 300) consoleLines.shift();
    };
    page.on('console', (message) => note(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => note(`[pageerror] ${String(error)}`));
    page.on('requestfailed', (request) => note(`[requestfailed] ${request.url()}`));
  });

  afterAll(async () => {
    await agent.disconnect().catch(() => {});
    // close() asks nicely; the group kill reaps renderers and helpers even if it didn't answer.
    await Promise.race([browser?.close().catch(() => {}), delay(scaledMs(10_000))]);
    killGroup(browserPid);
    await server?.close();
  });

  it('joins, is heard by another participant, hears it back and shows its transcriptions', async () => {
    const subscribedToBrowser = trackFrom(agent, BROWSER_IDENTITY, scaledMs(30_000));
    await agent.connect(server.url, await agentToken(server), {
      autoSubscribe: true,
      dynacast: false,
    });

    await page.goto(`${server.httpUrl}/playground?room=${ROOM}&identity=${BROWSER_IDENTITY}`);
    await page.click('#connect');
    await waitForPage(
      page,
      (s) => s.connected && s.microphone.published,
      'connected with the microphone published',
    );

    // The browser's microphone (the WAV) reaches the other participant.
    const { track, publication } = await subscribedToBrowser;
    const rms = await loudestRms(track, HEARD_RMS_FLOOR, scaledMs(20_000));
    expect(rms).toBeGreaterThan(HEARD_RMS_FLOOR);

    // The other participant's audio reaches the page.
    const tone = await publishTone(agent);
    try {
      await waitForPage(
        page,
        (s, floor) => s.remoteAudio.packetsReceived > 0 && s.remoteAudio.peakLevel > floor,
        'the agent audio heard',
        HEARD_LEVEL_FLOOR,
      );
    } finally {
      await tone.stop();
    }
    // The stand-in offers only loopback: media came from 127.0.0.1.
    const heard = await waitForPage(page, (s) => s.ice !== undefined, 'a selected ICE path');
    expect(heard.ice?.remote, JSON.stringify(heard)).toMatch(/^127\.0\.0\.1:\d+$/);

    // Transcriptions of both sides, as an agent publishes them.
    await agent.localParticipant!.publishTranscription({
      participantIdentity: BROWSER_IDENTITY,
      trackSid: publication.sid!,
      segments: [segment('user-1', 'what is the weather like')],
    });
    await agent.localParticipant!.publishTranscription({
      participantIdentity: AGENT_IDENTITY,
      trackSid: tone.trackSid,
      segments: [segment('agent-1', 'sunny all day')],
    });
    const state = await waitForPage(page, (s) => s.transcripts.length >= 2, 'both transcriptions');
    expect(state.transcripts).toEqual([
      expect.objectContaining({
        identity: BROWSER_IDENTITY,
        local: true,
        text: 'what is the weather like',
        final: true,
      }),
      expect.objectContaining({
        identity: AGENT_IDENTITY,
        local: false,
        text: 'sunny all day',
        final: true,
      }),
    ]);
    expect(state.errors).toEqual([]);
    const rendered = await page.$eval('#transcript', (list) => list.textContent);
    expect(rendered).toContain('sunny all day');
    console.warn(
      `playground.e2e: the page connected in ${state.connectMs} ms over ${JSON.stringify(state.ice)}`,
    );

    // Disconnect leaves the room: the other participant sees it go.
    const left = participantLeft(agent, BROWSER_IDENTITY, scaledMs(15_000));
    await page.click('#disconnect');
    await left;
    await waitForPage(page, (s) => !s.connected, 'disconnected');
  });

  /** Waits until the page's state passes `test`, and returns that state; on timeout says what the page showed. */
  async function waitForPage<A>(
    target: Page,
    test: (state: PlaygroundState, arg: A) => boolean,
    what: string,
    arg?: A,
  ): Promise<PlaygroundState> {
    // A string is evaluated as an expression on every poll, so it calls the predicate itself.
    const predicate = `(${test.toString()})(globalThis.playground, ${JSON.stringify(arg ?? null)})`;
    const expression = `globalThis.playground !== undefined && ${predicate}`;
    try {
      await target.waitForFunction(expression, { timeout: scaledMs(30_000), polling: 100 });
    } catch (error) {
      const state = await target.evaluate('window.playground').catch(() => undefined);
      throw new Error(
        `the page never reached "${what}": ${String(error)}\n` +
          `window.playground: ${JSON.stringify(state)}\nconsole:\n${consoleLines.join('\n')}`,
      );
    }
    return (await target.evaluate('window.playground')) as PlaygroundState;
  }
});

/**
 * Headless, with a fake microphone playing the WAV, and nothing that talks to
 * the network on its own. WebRTC: Chromium gathers no loopback candidates, so
 * it sends its checks from its host address to the stand-in's 127.0.0.1 (the
 * kernel keeps them on `lo`), and the stand-in learns that address from them.
 * Raw IPs instead of mDNS names: no multicast announcements leave the host.
 */
function chromiumFlags(): string[] {
  return [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${MICROPHONE_WAV}`,
    '--autoplay-policy=no-user-gesture-required',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--disable-breakpad',
    '--no-first-run',
    '--no-default-browser-check',
    '--no-pings',
    '--metrics-recording-only',
    '--disable-features=WebRtcHideLocalIpsWithMdns,MediaRouter,DialMediaRouteProvider,' +
      'OptimizationHints,Translate,AutofillServerCommunication,InterestFeedContentSuggestions,' +
      'CertificateTransparencyComponentUpdater',
    // Chromium refuses to start as root with its sandbox on.
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ];
}

async function agentToken(server: LiveKitStandIn): Promise<string> {
  const token = new AccessToken(server.apiKey, server.apiSecret, { identity: AGENT_IDENTITY });
  // The server relays transcriptions only from agents.
  token.kind = 'agent';
  token.addGrant({ roomJoin: true, room: ROOM, canPublish: true, canSubscribe: true });
  return token.toJwt();
}

function trackFrom(
  room: Room,
  identity: string,
  deadlineMs: number,
): Promise<{ track: RemoteTrack; publication: RemoteTrackPublication }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      room.off(RoomEvent.TrackSubscribed, onTrack);
      reject(new Error(`no track from ${identity} within ${deadlineMs} ms`));
    }, deadlineMs);
    const onTrack = (
      track: RemoteTrack,
      publication: RemoteTrackPublication,
      participant: RemoteParticipant,
    ) => {
      if (participant.identity !== identity) return;
      clearTimeout(timer);
      room.off(RoomEvent.TrackSubscribed, onTrack);
      resolve({ track, publication });
    };
    room.on(RoomEvent.TrackSubscribed, onTrack);
  });
}

function participantLeft(room: Room, identity: string, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      room.off(RoomEvent.ParticipantDisconnected, onLeft);
      reject(new Error(`${identity} did not leave within ${deadlineMs} ms`));
    }, deadlineMs);
    const onLeft = (participant: RemoteParticipant) => {
      if (participant.identity !== identity) return;
      clearTimeout(timer);
      room.off(RoomEvent.ParticipantDisconnected, onLeft);
      resolve();
    };
    room.on(RoomEvent.ParticipantDisconnected, onLeft);
  });
}

/** Reads the track until a 20 ms frame is louder than `floor`, and returns that frame's RMS. */
async function loudestRms(track: RemoteTrack, floor: number, deadlineMs: number): Promise<number> {
  const stream = new AudioStream(track, { sampleRate: 48000, numChannels: 1, frameSizeMs: 20 });
  const reader = stream.getReader();
  let loudest = 0;
  const timer = setTimeout(() => void reader.cancel(), deadlineMs);
  try {
    for (;;) {
      const { value: frame, done } = await reader.read();
      if (done) break;
      loudest = Math.max(loudest, rmsOf(frame.data));
      if (loudest > floor) break;
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  return loudest;
}

function rmsOf(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** Publishes a 440 Hz tone, paced by the source's queue, until stopped. */
async function publishTone(room: Room): Promise<{ trackSid: string; stop(): Promise<void> }> {
  const sampleRate = 48000;
  const source = new AudioSource(sampleRate, 1);
  const track = LocalAudioTrack.createAudioTrack('tone', source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  const publication = await room.localParticipant!.publishTrack(track, options);
  let stopped = false;
  const samplesPerFrame = sampleRate / 100;
  const pump = (async () => {
    for (let n = 0; !stopped; n += samplesPerFrame) {
      const data = new Int16Array(samplesPerFrame);
      for (let i = 0; i < samplesPerFrame; i++) {
        data[i] = Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 440 * (n + i)) / sampleRate));
      }
      await source.captureFrame(new AudioFrame(data, sampleRate, 1, samplesPerFrame));
    }
  })();
  return {
    trackSid: publication.sid!,
    async stop() {
      stopped = true;
      await pump;
      await source.close();
    },
  };
}

function segment(id: string, text: string) {
  return { id, text, startTime: 0n, endTime: 0n, language: 'en', final: true };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
