import { AssertionError } from 'node:assert';
import { llm } from '@agents/core';
import { type CheckSession, withSession } from './runner.js';
import { returnsPromptly } from './timing.js';
import type { CommonConformanceOptions, LLMConformanceOptions, ServiceControl } from './types.js';

export type ScriptedReply = Parameters<NonNullable<LLMConformanceOptions['prepare']>>[1][number];

/** The reply the text checks ask for. */
export const LLM_TEXT = 'The quick brown fox jumps over the lazy dog. Then it naps in the sun.';

/**
 * A reply long enough to be still on its way when the abort checks stop
 * reading after its first piece: a service streams it for a while.
 */
export const LLM_LONG_TEXT = Array.from({ length: 4000 }, (_, i) => `word${i}`).join(' ');

/** The tool call the tool check scripts, and the reply that follows its result. */
export const LLM_TOOL_CALL = Object.freeze({
  name: 'get_weather',
  arguments: Object.freeze({ city: 'Paris', unit: 'celsius', days: 2 }),
});
export const LLM_AFTER_TOOL = 'It is sunny in Paris.';

/** How long the checks wait for a service's next chunk (a real one may be slow). */
export const REPLY_WAIT_MS = 30_000;

interface Held {
  model: llm.LLM;
  close(): Promise<void>;
}

/** An LLM has no close() in core; one that has one (a pooled client) gets it called. */
async function held(model: llm.LLM | Promise<llm.LLM>): Promise<Held> {
  const resolved = await model;
  const close = (resolved as { close?: () => Promise<void> }).close;
  return { model: resolved, close: async () => close?.call(resolved) };
}

/** A fresh service, with the replies the body will ask for scripted first. */
export function withLLM(
  options: LLMConformanceOptions,
  replies: readonly ScriptedReply[],
  body: (session: CheckSession<llm.LLM>) => Promise<void>,
): Promise<void> {
  const { create, createWithBadKey } = options;
  const wrapped: CommonConformanceOptions<Held> = {
    ...options,
    create: (service) => held(create(service)),
    createWithBadKey: createWithBadKey && ((service) => held(createWithBadKey(service))),
  };
  return withSession(wrapped, async (session) => {
    await options.prepare?.(session.service, replies);
    await body({
      service: session.service,
      model: async () => (await session.model()).model,
      modelWithBadKey: async () => (await session.modelWithBadKey()).model,
    });
  });
}

export function openRequests(service: ServiceControl): number {
  return service.openRequests?.() ?? service.openConnections();
}

/** A conversation the scripted reply answers. */
export function userAsks(question = 'Say something.'): llm.ChatContext {
  return llm.ChatContext.from([
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content: question },
  ]);
}

export interface ReadReply {
  text: string;
  chunks: llm.ChatChunk[];
}

/** Reads a reply to its end, each chunk within a deadline; checks one request id throughout. */
export async function readReply(stream: llm.LLMStream, what: string): Promise<ReadReply> {
  const chunks: llm.ChatChunk[] = [];
  let text = '';
  for (;;) {
    const next = await returnsPromptly(`${what}: the next chunk`, stream.next(), REPLY_WAIT_MS);
    if (next.done) break;
    chunks.push(next.value);
    text += next.value.delta?.content ?? '';
  }
  const ids = new Set(chunks.map((c) => c.requestId));
  if (ids.size > 1) {
    throw new AssertionError({
      message: `${what}: the chunks of one reply carry ${ids.size} request ids (${[...ids].join(', ')})`,
    });
  }
  return { text, chunks };
}

/** Resolves with the first chunk that carries text. */
export async function firstText(stream: llm.LLMStream, what: string): Promise<void> {
  for (;;) {
    const next = await returnsPromptly(`${what}: the first text`, stream.next(), REPLY_WAIT_MS);
    if (next.done) throw new AssertionError({ message: `${what}: the reply ended without text` });
    if (next.value.delta?.content) return;
  }
}
