import { createRequire } from 'node:module';
import { initializeLogger, log } from '@agents/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DeepgramStandIn } from './deepgram/index.js';
import { ElevenLabsStandIn } from './elevenlabs/index.js';
import { LiveKitStandIn } from './livekit/index.js';
import { OpenAIStandIn } from './openai/index.js';

/**
 * `agents-testing`: the stand-ins as standalone servers, so that an agent (or
 * any client of these services) can be pointed at them by hand.
 */
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('agents-testing')
  .description('Stand-ins for the services voice agents talk to, for offline development')
  .version(version)
  .showHelpAfterError();

/** Commander names the option in its error, so a bad value says which flag to fix. */
function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65535) {
    throw new InvalidArgumentError('Give a whole number from 0 to 65535 (0 picks a free port).');
  }
  return port;
}

const DEV_SECRET = 'secret';

const port = (fallback: number) =>
  new Option('--port <port>', 'port to listen on').argParser(parsePort).default(fallback);

program
  .command('livekit-server')
  .description(
    'a LiveKit server for agents: /agent websocket and Twirp APIs (dev keys devkey/secret)',
  )
  .addOption(port(7880))
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--api-key <key>', 'API key', 'devkey')
  .option('--api-secret <secret>', 'API secret', DEV_SECRET)
  .action(async (opts: { port: number; host: string; apiKey: string; apiSecret: string }) => {
    // Listen for the stop signal before saying where we are: whoever reads the
    // line below may send SIGINT at once, and an unhandled SIGINT kills us
    // without closing the server.
    const stopped = untilSignal();
    // The stand-in logs its own address once it listens.
    const server = await LiveKitStandIn.start(opts);
    // A secret the user chose is theirs to keep out of logs; the dev default is public.
    const secret = opts.apiSecret === DEV_SECRET ? DEV_SECRET : '<the --api-secret you gave>';
    log().info(
      `point an agent at it with: LIVEKIT_URL=${server.url} LIVEKIT_API_KEY=${opts.apiKey} ` +
        `LIVEKIT_API_SECRET=${secret}`,
    );
    log().info(`talk to your agent from a browser: ${server.httpUrl}/playground`);
    await stopped;
    await server.close();
  });

program
  .command('openai')
  .description('an OpenAI API stand-in: chat completions, speech and transcriptions')
  .addOption(port(8080))
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--api-key <key>', 'the only API key accepted (default: any)')
  .action(async (opts: { port: number; host: string; apiKey?: string }) => {
    const stopped = untilSignal();
    const server = await OpenAIStandIn.start(opts);
    log().info({ url: server.url }, 'OpenAI stand-in listening');
    await stopped;
    await server.close();
  });

program
  .command('deepgram')
  .description('a Deepgram stand-in: /v1/listen, live (websocket) and pre-recorded (POST)')
  .addOption(port(8082))
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--api-key <key>', 'the only API key accepted (default: any)')
  .option('--realistic', "answer with the real service's latency (default: at once)")
  .action(async (opts: { port: number; host: string; apiKey?: string; realistic?: boolean }) => {
    const stopped = untilSignal();
    const server = await DeepgramStandIn.start({
      port: opts.port,
      host: opts.host,
      apiKey: opts.apiKey,
      latency: opts.realistic ? 'realistic' : 'none',
    });
    log().info({ url: server.url }, 'Deepgram stand-in listening');
    await stopped;
    await server.close();
  });

program
  .command('elevenlabs')
  .description(
    'an ElevenLabs text-to-speech stand-in: multi-stream-input and stream-input websockets, ' +
      'HTTP speech and voices (PCM only)',
  )
  .addOption(port(8083))
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--api-key <key>', 'the only xi-api-key accepted (default: any)')
  .option('--realistic', "answer with the real service's latency (default: at once)")
  .action(async (opts: { port: number; host: string; apiKey?: string; realistic?: boolean }) => {
    const stopped = untilSignal();
    const server = await ElevenLabsStandIn.start({
      port: opts.port,
      host: opts.host,
      apiKey: opts.apiKey,
      latency: opts.realistic ? 'realistic' : 'none',
    });
    log().info(
      { url: server.url },
      `ElevenLabs stand-in listening; point a client at baseURL ${server.url}/v1`,
    );
    await stopped;
    await server.close();
  });

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

initializeLogger({ level: process.env.LOG_LEVEL ?? 'info' });
program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`agents-testing: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
