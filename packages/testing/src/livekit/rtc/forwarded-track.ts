import type { AudioSink, AudioSource, MediaStreamTrack, Wrtc } from './wrtc.js';

/**
 * One published audio track as the room forwards it: decoded from the
 * publisher's connection and fed, 10 ms at a time, to one local track that
 * every subscriber's connection sends. (A production SFU forwards RTP
 * untouched; decoding keeps this one small and lets tests read levels.)
 */
export class ForwardedTrack {
  /** What subscribers' transceivers send. */
  readonly media: MediaStreamTrack;
  /** The stream id clients map back to participant and track: `PA_…|TR_…`. */
  readonly streamId: string;
  /** The publisher is told once, when a first subscriber receives it, as the real server does. */
  everSubscribed = false;
  readonly #sink: AudioSink;
  readonly #source: AudioSource;

  constructor(
    wrtc: Wrtc,
    readonly room: string,
    readonly publisherSid: string,
    readonly sid: string,
    remote: MediaStreamTrack,
  ) {
    this.streamId = `${publisherSid}|${sid}`;
    this.#source = new wrtc.nonstandard.RTCAudioSource();
    this.media = this.#source.createTrack();
    this.#sink = new wrtc.nonstandard.RTCAudioSink(remote);
    this.#sink.ondata = (data) => {
      this.#source.onData({
        samples: data.samples,
        sampleRate: data.sampleRate,
        bitsPerSample: 16,
        channelCount: data.channelCount ?? 1,
        numberOfFrames: data.numberOfFrames ?? data.samples.length / (data.channelCount ?? 1),
      });
    };
  }

  stop(): void {
    this.#sink.ondata = null;
    this.#sink.stop();
    this.media.stop();
  }
}
