// The job's teardown closes its assistants before anything else: the agent's
// shutdown callbacks (which typically close the models the assistant uses)
// run after the assistant has stopped, not under its feet.
import { Job, Room as RoomInfo } from '@livekit/protocol';
import { expect, it } from 'vitest';
import { JobProcess } from '../src/job/agent.js';
import { JobRunner } from '../src/job/job-runner.js';
import { TypedEventEmitter } from '../src/utils/emitter.js';
import type { VoiceAssistantEvents } from '../src/voice/assistant-types.js';
import { scaledMs } from './time.js';

it('closes the assistants started on the job before the shutdown callbacks run', async () => {
  const order: string[] = [];
  let endingReason = '';
  const runner = new JobRunner(
    {
      job: new Job({ id: 'AJ_test', room: new RoomInfo({ name: 'r', sid: 'RM_test' }) }),
      url: 'ws://127.0.0.1:1',
      token: '',
      acceptArguments: { identity: 'agent', name: 'agent', metadata: '', attributes: {} },
      workerId: 'AW_test',
    },
    new JobProcess(),
    (reason) => {
      endingReason = reason;
    },
  );
  const assistant = Object.assign(new TypedEventEmitter<VoiceAssistantEvents>(), {
    close: async () => {
      // Still closing when the job would otherwise move on: the teardown waits.
      await new Promise((resolve) => setImmediate(resolve));
      order.push('assistant closed');
    },
  });
  runner.ctx._assistantStarted(assistant);
  runner.ctx.addShutdownCallback(() => {
    order.push('shutdown callback');
  });
  const end = await runner.end('the worker asked');
  expect(end).toEqual({ reason: 'the worker asked' });
  expect(endingReason).toBe('the worker asked');
  expect(order).toEqual(['assistant closed', 'shutdown callback']);
});

it(
  'ends the job even when an assistant never finishes closing',
  async () => {
    const runner = new JobRunner(
      {
        job: new Job({ id: 'AJ_test2', room: new RoomInfo({ name: 'r', sid: 'RM_test' }) }),
        url: 'ws://127.0.0.1:1',
        token: '',
        acceptArguments: { identity: 'agent', name: 'agent', metadata: '', attributes: {} },
        workerId: 'AW_test',
      },
      new JobProcess(),
      () => {},
    );
    const stuck = Object.assign(new TypedEventEmitter<VoiceAssistantEvents>(), {
      close: () => new Promise<void>(() => {}),
    });
    runner.ctx._assistantStarted(stuck);
    const called: string[] = [];
    runner.ctx.addShutdownCallback(() => {
      called.push('callback');
    });
    // The assistant's deadline (5 s) passes, is logged, and the teardown goes on.
    await runner.end('shutdown');
    expect(called).toEqual(['callback']);
  },
  scaledMs(20_000),
);
