import { describe, expect, it } from 'vitest';
import { APIStatusError, APITimeoutError } from '../src/errors.js';
import { abortable } from '../src/utils/deadline.js';
import { IdleDeadline, runAttempt } from '../src/utils/idle-deadline.js';
import { retryBeforeOutput, withRetry } from '../src/utils/retry.js';

const never = () => new Promise<never>(() => {});
const retryable = () => new APIStatusError('busy', { status: 503 });

describe('IdleDeadline', () => {
  it('aborts a silent wait with a timeout error naming the provider', async () => {
    const deadline = new IdleDeadline({ timeoutMs: 5, label: 'Deepgram' });
    const aborted = new Promise((resolve) => deadline.signal.addEventListener('abort', resolve));
    await deadline.within(aborted);
    expect(deadline.timedOut).toBe(true);
    expect(deadline.signal.reason).toBeInstanceOf(APITimeoutError);
    expect((deadline.signal.reason as Error).message).toBe('Deepgram sent nothing for 5 ms');
  });

  it('follows its owner until disposed', () => {
    const owner = new AbortController();
    const deadline = new IdleDeadline({ signal: owner.signal, timeoutMs: 1000, label: 'x' });
    const reason = new Error('closed');
    owner.abort(reason);
    expect(deadline.signal.reason).toBe(reason);
    expect(deadline.timedOut).toBe(false);

    const later = new AbortController();
    const disposed = new IdleDeadline({ signal: later.signal, timeoutMs: 1000, label: 'x' });
    disposed.dispose();
    later.abort();
    expect(disposed.signal.aborted).toBe(false);
  });
});

describe('runAttempt', () => {
  it('reports a timeout of ours, mapped by toError', async () => {
    const error = await runAttempt({ timeoutMs: 5, label: 'ElevenLabs' }, (deadline) =>
      deadline.within(
        new Promise((_, reject) => deadline.signal.addEventListener('abort', () => reject(1))),
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as Error).message).toMatch(/^ElevenLabs sent nothing/);
  });

  it("throws the owner's reason once it aborted, not a provider failure", async () => {
    const owner = new AbortController();
    const reason = new Error('stream closed');
    const attempt = runAttempt(
      { signal: owner.signal, timeoutMs: 1000, label: 'x', toError: () => new Error('mapped') },
      (deadline) =>
        new Promise((_, reject) => deadline.signal.addEventListener('abort', () => reject(2))),
    );
    owner.abort(reason);
    await expect(attempt).rejects.toBe(reason);
  });
});

describe('retryBeforeOutput', () => {
  const options = { maxRetry: 3, retryIntervalMs: 1 };

  it('retries until output started, then throws the failure as it is', async () => {
    let calls = 0;
    let started = false;
    const failure = retryable();
    await expect(
      retryBeforeOutput(
        async () => {
          calls++;
          if (calls === 2) started = true;
          throw failure;
        },
        { ...options, started: () => started },
      ),
    ).rejects.toBe(failure);
    expect(calls).toBe(2);
  });

  it('returns what the attempt returns', async () => {
    let calls = 0;
    const value = await retryBeforeOutput(
      async () => {
        if (++calls < 2) throw retryable();
        return 'ok';
      },
      { ...options, started: () => false },
    );
    expect(value).toBe('ok');
    await expect(withRetry(async () => 'x', options)).resolves.toBe('x');
  });
});

describe('abortable', () => {
  it('rejects with the reason on abort, and passes a result through', async () => {
    const stop = new AbortController();
    const waiting = abortable(never(), stop.signal);
    stop.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    await expect(abortable(Promise.resolve(3), new AbortController().signal)).resolves.toBe(3);
    const gone = AbortSignal.abort(new Error('already'));
    await expect(abortable(Promise.reject(new Error('late')), gone)).rejects.toThrow('already');
  });

  it('leaves no listener behind on a signal that outlives the wait', async () => {
    const owner = new AbortController();
    let listeners = 0;
    const add = owner.signal.addEventListener.bind(owner.signal);
    const remove = owner.signal.removeEventListener.bind(owner.signal);
    owner.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    owner.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof remove;
    for (let i = 0; i < 5; i++) await abortable(Promise.resolve(i), owner.signal);
    expect(listeners).toBe(0);
  });
});
