import type { Logger } from '@agents/core';
import { filterSdpCandidates, isAnnounceable, isLoopbackCandidate } from './loopback.js';
import type { IceCandidateInit, PeerConnection, SessionDescriptionInit, Wrtc } from './wrtc.js';

/** Candidates that arrive before the remote description are held; a client sends a handful. */
const MAX_EARLY_CANDIDATES = 64;

/**
 * One of a participant's two peer connections, on the server's side: the
 * publisher (the client offers, we answer) or the subscriber (we offer). It
 * keeps ICE on loopback and runs one negotiation at a time.
 */
export class Peer {
  readonly pc: PeerConnection;
  readonly #log: Logger;
  readonly #early: IceCandidateInit[] = [];
  #remoteSet = false;
  #closed = false;
  /** SDP work is serialized: libwebrtc refuses overlapping offer/answer steps. */
  #chain: Promise<unknown> = Promise.resolve();
  // Subscriber side: the offer in flight, and whether another is owed once it is answered.
  #offerId = 0;
  #awaitingAnswer = false;
  #offerOwed = false;

  constructor(
    wrtc: Wrtc,
    log: Logger,
    private readonly sendCandidate: (candidate: IceCandidateInit) => void,
    private readonly sendOffer: (offer: SessionDescriptionInit, id: number) => void,
  ) {
    this.#log = log;
    this.pc = new wrtc.RTCPeerConnection({
      iceServers: [],
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    this.pc.onicecandidate = ({ candidate }) => {
      if (!candidate?.candidate || !isAnnounceable(candidate.candidate)) return;
      // rtc-node parses sdpMid as a string and sdpMLineIndex as an integer, or panics.
      this.sendCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? '0',
        sdpMLineIndex: candidate.sdpMLineIndex ?? 0,
        usernameFragment: null,
      });
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A client's trickled candidate: loopback ones are used, others ignored. */
  addCandidate(candidate: IceCandidateInit): void {
    if (this.#closed || !candidate.candidate || !isLoopbackCandidate(candidate.candidate)) return;
    if (!this.#remoteSet) {
      if (this.#early.length < MAX_EARLY_CANDIDATES) this.#early.push(candidate);
      return;
    }
    this.pc.addIceCandidate(candidate).catch((error: unknown) => {
      this.#log.debug({ err: error }, 'client ICE candidate refused');
    });
  }

  /** Publisher side: the client's offer, answered with our SDP. */
  answer(offer: string): Promise<string> {
    return this.#serial(async () => {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: keepLoopback(offer) });
      this.#remoteSet = true;
      this.#flushEarly();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      return keepOwn(this.pc.localDescription?.sdp ?? answer.sdp);
    });
  }

  /** Subscriber side: offer the current set of tracks, now or once the offer in flight is answered. */
  renegotiate(): void {
    if (this.#closed) return;
    if (this.#awaitingAnswer) {
      this.#offerOwed = true;
      return;
    }
    this.#awaitingAnswer = true;
    this.#serial(async () => {
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      this.#offerId += 1;
      this.sendOffer({ type: 'offer', sdp: keepOwn(offer.sdp) }, this.#offerId);
    }).catch((error: unknown) => {
      this.#awaitingAnswer = false;
      if (!this.#closed) this.#log.warn({ err: error }, 'subscriber offer failed');
    });
  }

  /** Subscriber side: the client's answer to our offer `id` (0 when the client sends none). */
  accept(answer: string, id: number): Promise<void> {
    return this.#serial(async () => {
      if (!this.#awaitingAnswer || (id !== 0 && id !== this.#offerId)) {
        this.#log.debug({ id, expected: this.#offerId }, 'stale subscriber answer ignored');
        return;
      }
      await this.pc.setRemoteDescription({ type: 'answer', sdp: keepLoopback(answer) });
      this.#remoteSet = true;
      this.#flushEarly();
      this.#awaitingAnswer = false;
      if (this.#offerOwed) {
        this.#offerOwed = false;
        this.renegotiate();
      }
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.ondatachannel = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }

  #flushEarly(): void {
    for (const candidate of this.#early.splice(0)) this.addCandidate(candidate);
  }

  #serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(() => {
      if (this.#closed) throw new Error('peer connection closed');
      return step();
    });
    this.#chain = next.catch(() => {});
    return next;
  }
}

function keepLoopback(sdp: string): string {
  return filterSdpCandidates(sdp, isLoopbackCandidate);
}

function keepOwn(sdp: string): string {
  return filterSdpCandidates(sdp, isAnnounceable);
}
