// N conversations in one process, for profiling and for comparing two builds side by side:
//   node --import tsx voice-profile.ts virtual 20 fake 10   CPU ms per conversation-second,
//     virtual clock (work done, not the share of a busy machine's core)
//   node --cpu-prof --import tsx voice-profile.ts live 60 silero 10   real-time pacing
import { dispose } from '@livekit/rtc-node';
import { cpuPerConversationSecond, runConversations } from './suites/voice-load.js';

const [mode = 'virtual', count = '1', kind = 'fake', secs = '15'] = process.argv.slice(2);
const n = Number(count);
const vadKind = kind === 'silero' ? 'silero' : 'fake';
const { VAD } = await import('@agents/plugin-silero');
const silero = vadKind === 'silero' ? await VAD.load() : undefined;
if (mode === 'virtual') {
  await cpuPerConversationSecond(n, vadKind, 5, silero); // warms the JIT
  const r = await cpuPerConversationSecond(n, vadKind, Number(secs), silero);
  console.log(
    `${n} ${vadKind}: ${r.cpuMsPerSecond.toFixed(2)} CPU ms per conversation-second, ` +
      `${r.droppedFrames} frames dropped, ${r.answers} answers`,
  );
} else {
  const r = await runConversations(n, vadKind, Number(secs), silero);
  console.log(`${n} ${vadKind}: CPU ${r.cpuPercent.toFixed(1)} %, ${r.delays.length} turns`);
}
await silero?.close();
await dispose();
process.exit(0);
