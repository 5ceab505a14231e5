/**
 * Audio codecs: compressed audio from providers in, rtc-node `AudioFrame`s out. The WASM
 * decoder behind them is loaded at first use, so importing this costs nothing at start-up.
 */
export { decodeMp3Stream, Mp3DecodeError, Mp3Decoder, type Mp3DecoderOptions } from './mp3.js';
