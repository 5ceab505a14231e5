import { describe, expect, it } from 'vitest';
import { ChatContext, type ChatMessageInit, chatMessage } from '../src/llm/index.js';

describe('ChatContext', () => {
  it('gives each new context its own list', () => {
    const a = new ChatContext();
    const b = new ChatContext();
    a.append({ role: 'user', content: 'hi' });

    expect(a.messages).toHaveLength(1);
    expect(b.messages).toHaveLength(0);
    expect(new ChatContext().messages).toHaveLength(0);
  });

  it('fills in ids, timestamps and defaults', () => {
    const before = Date.now();
    const ctx = new ChatContext()
      .append({ role: 'system', content: 'Be brief.' })
      .append({ role: 'user', content: 'hi' })
      .append({ role: 'assistant', content: 'hello' })
      .append({ role: 'tool', toolCallId: 'c1', name: 'f', content: '42' });
    const [system, user, assistant, toolResult] = ctx.messages;

    expect(new Set(ctx.messages.map((m) => m.id)).size).toBe(4);
    for (const message of ctx.messages) {
      expect(message.id).toMatch(/\S/);
      expect(message.createdAt).toBeGreaterThanOrEqual(before);
    }
    expect(system).toMatchObject({ role: 'system', content: 'Be brief.' });
    expect(user).toMatchObject({ role: 'user', content: 'hi' });
    expect(assistant).toMatchObject({ role: 'assistant', content: 'hello', toolCalls: [] });
    expect(toolResult).toMatchObject({
      toolCallId: 'c1',
      name: 'f',
      content: '42',
      isError: false,
    });
  });

  it('records tool calls, then their results, in order', () => {
    const calls = [
      { id: 'c1', name: 'getWeather', arguments: '{"city":"Paris"}' },
      { id: 'c2', name: 'getTime', arguments: '{}' },
    ];
    const ctx = new ChatContext().append({ role: 'user', content: 'weather and time?' });
    ctx.appendToolCalls(calls, 'Checking.');
    const result = chatMessage({
      role: 'tool',
      toolCallId: 'c1',
      name: 'getWeather',
      content: 'sunny',
    });
    ctx.appendToolResults([{ message: result }]);

    expect(ctx.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(ctx.messages[1]).toMatchObject({ content: 'Checking.', toolCalls: calls });
    expect(ctx.messages[2]).toMatchObject({ toolCallId: 'c1', content: 'sunny' });
  });

  it('copies what it is given, so the caller cannot change it afterwards', () => {
    const calls = [{ id: 'c1', name: 'f', arguments: '{}' }];
    const init = { role: 'assistant' as const, toolCalls: calls };
    const ctx = ChatContext.from([init]);
    calls.push({ id: 'c2', name: 'g', arguments: '{}' });
    calls[0] = { id: 'changed', name: 'f', arguments: '{}' };

    const message = ctx.messages[0];
    expect(message?.role === 'assistant' && message.toolCalls).toEqual([
      { id: 'c1', name: 'f', arguments: '{}' },
    ]);
  });

  it('copy() is a branch: changes to either side stay there', () => {
    const original = ChatContext.from([
      { role: 'user', content: 'hi' },
      { role: 'assistant', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
    ]);
    const copy = original.copy();

    expect(copy.messages).toEqual(original.messages);
    expect(copy.messages).not.toBe(original.messages);

    copy.append({ role: 'user', content: 'more' });
    copy.messages.splice(0, 1);
    (copy.messages[0] as { content: string }).content = 'edited';
    original.append({ role: 'user', content: 'only in the original' });

    expect(original.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(original.messages[1]).toMatchObject({ content: '' });
    expect(copy.messages.map((m) => m.role)).toEqual(['assistant', 'user']);
  });

  it('rejects malformed messages from untyped callers', () => {
    const bad = [
      { role: 'robot', content: 'x' },
      { role: 'user' },
      { role: 'tool', name: 'f', content: 'x' },
    ] as unknown as ChatMessageInit[];

    expect(() => chatMessage(bad[0]!)).toThrow(/unknown chat role "robot"/);
    expect(() => chatMessage(bad[1]!)).toThrow(/user message needs a string content/);
    expect(() => chatMessage(bad[2]!)).toThrow(/tool message needs a string toolCallId/);
  });
});
