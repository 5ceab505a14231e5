export { OPENAI_SPEECH_SAMPLE_RATE } from './speech.js';
export { OpenAIStandIn, type OpenAIStandInOptions } from './stand-in.js';
export type {
  OpenAIChatReply,
  OpenAIEndpoint,
  OpenAIFault,
  OpenAIRequest,
  OpenAIRequestOutcome,
  OpenAIScript,
  OpenAIScriptedToolCall,
  OpenAISpeechReply,
  OpenAITranscriptionReply,
  OpenAIUploadedAudio,
} from './types.js';
