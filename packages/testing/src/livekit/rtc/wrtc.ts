/**
 * The slice of `@roamhq/wrtc` (Node bindings of Google's libwebrtc, the same
 * engine inside rtc-node and Chromium) that the media rooms use, typed here
 * because its own types lean on the DOM library. Loaded on the first join, so
 * a stand-in that only serves the agent protocol never loads the native code.
 */

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface SessionDescriptionInit {
  type: 'offer' | 'answer';
  sdp: string;
}

export interface MediaStreamTrack {
  readonly id: string;
  readonly kind: string;
  stop(): void;
}

export interface MediaStream {
  readonly id: string;
}

export interface RtpSender {
  readonly track: MediaStreamTrack | null;
}

export interface RtpTransceiver {
  readonly mid: string | null;
  readonly sender: RtpSender;
  readonly receiver: { readonly track: MediaStreamTrack };
  direction: string;
  stop(): void;
}

export interface DataChannel {
  readonly label: string;
  readonly readyState: 'connecting' | 'open' | 'closing' | 'closed';
  readonly bufferedAmount: number;
  binaryType: string;
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onmessage: ((event: { data: ArrayBuffer | string }) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
}

export interface PeerConnection {
  readonly connectionState: string;
  readonly signalingState: string;
  readonly localDescription: SessionDescriptionInit | null;
  onicecandidate: ((event: { candidate: IceCandidateInit | null }) => void) | null;
  onconnectionstatechange: (() => void) | null;
  ontrack: ((event: { track: MediaStreamTrack; transceiver: RtpTransceiver }) => void) | null;
  ondatachannel: ((event: { channel: DataChannel }) => void) | null;
  createOffer(): Promise<SessionDescriptionInit>;
  createAnswer(): Promise<SessionDescriptionInit>;
  setLocalDescription(description: SessionDescriptionInit): Promise<void>;
  setRemoteDescription(description: SessionDescriptionInit): Promise<void>;
  addIceCandidate(candidate: IceCandidateInit): Promise<void>;
  addTransceiver(
    track: MediaStreamTrack,
    init: { direction: 'sendonly'; streams: MediaStream[] },
  ): RtpTransceiver;
  removeTrack(sender: RtpSender): void;
  createDataChannel(
    label: string,
    init?: { ordered?: boolean; maxRetransmits?: number },
  ): DataChannel;
  close(): void;
}

/** 10 ms of 16-bit PCM, as libwebrtc hands decoded audio out and takes it in. */
export interface AudioData {
  samples: Int16Array;
  sampleRate: number;
  bitsPerSample?: number;
  channelCount?: number;
  numberOfFrames?: number;
}

export interface AudioSink {
  ondata: ((data: AudioData) => void) | null;
  stop(): void;
}

export interface AudioSource {
  createTrack(): MediaStreamTrack;
  onData(data: AudioData): void;
}

export interface Wrtc {
  RTCPeerConnection: new (config: {
    iceServers: unknown[];
    bundlePolicy?: 'max-bundle';
    rtcpMuxPolicy?: 'require';
  }) => PeerConnection;
  MediaStream: new (init: { id: string }) => MediaStream;
  nonstandard: {
    RTCAudioSink: new (track: MediaStreamTrack) => AudioSink;
    RTCAudioSource: new () => AudioSource;
  };
}

let loading: Promise<Wrtc> | undefined;

/** The bindings, loaded once; the error names the package when the native part cannot load. */
export function loadWrtc(): Promise<Wrtc> {
  loading ??= import('@roamhq/wrtc').then(
    (module) => {
      exitWithoutNativeTeardown();
      return ((module as { default?: unknown }).default ?? module) as Wrtc;
    },
    (error: unknown) => {
      loading = undefined;
      throw new Error(
        'media rooms need @roamhq/wrtc (libwebrtc for Node, prebuilt for linux x64/arm64, macOS and ' +
          `Windows x64), which could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    },
  );
  return loading;
}

/**
 * Once the bindings have made an audio track, a process that ends because its
 * event loop ran dry crashes (SIGSEGV) in libwebrtc's teardown, a known bug of
 * the bindings; `process.exit` skips that teardown. So when the loop is empty
 * (`beforeExit`, which only fires then), leave the way `process.exit` does.
 */
function exitWithoutNativeTeardown(): void {
  process.once('beforeExit', (code) => process.exit(process.exitCode ?? code));
}
