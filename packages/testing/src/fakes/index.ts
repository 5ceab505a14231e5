export { FakeLLM, type FakeLLMOptions, type FakeLLMStep, type FakeToolCall } from './fake-llm.js';
export {
  type FakeRecognizeStep,
  type FakeSpeechEventStep,
  type FakeSpeechFailureStep,
  type FakeSpeechStep,
  FakeSTT,
  type FakeSTTOptions,
} from './fake-stt.js';
export { type FakeSynthesisStep, FakeTTS, type FakeTTSOptions } from './fake-tts.js';
export {
  type FakeSpeechRegion,
  FakeVAD,
  type FakeVADOptions,
  type FakeVADStreamScript,
} from './fake-vad.js';
export { Script, ScriptError } from './script.js';
export { silentFrame, splitFrame, testSpeechFrame, testSpeechPcm } from './signal.js';
