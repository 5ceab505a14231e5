import { initializeLogger, log } from '@agents/core';
import { Command, Option } from 'commander';
import { LiveKitStandIn } from './livekit/index.js';
import { OpenAIStandIn } from './openai/index.js';

/**
 * `agents-testing`: the stand-ins as standalone servers, so that an agent (or
 * any client of these services) can be pointed at them by hand.
 */
const program = new Command('agents-testing')
  .description('Stand-ins for the services voice agents talk to, for offline development')
  .showHelpAfterError();

const port = (fallback: number) =>
  new Option('--port <port>', 'port to listen on').argParser(Number).default(fallback);

program
  .command('livekit-server')
  .description(
    'a LiveKit server for agents: /agent websocket and Twirp APIs (dev keys devkey/secret)',
  )
  .addOption(port(7880))
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--api-key <key>', 'API key', 'devkey')
  .option('--api-secret <secret>', 'API secret', 'secret')
  .action(async (opts: { port: number; host: string; apiKey: string; apiSecret: string }) => {
    // The stand-in logs its own address once it listens.
    const server = await LiveKitStandIn.start(opts);
    await untilSignal();
    await server.close();
  });

program
  .command('openai')
  .description('an OpenAI API stand-in: chat completions, speech and transcriptions')
  .addOption(port(8080))
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--api-key <key>', 'the only API key accepted (default: any)')
  .action(async (opts: { port: number; host: string; apiKey?: string }) => {
    const server = await OpenAIStandIn.start(opts);
    log().info({ url: server.url }, 'OpenAI stand-in listening');
    await untilSignal();
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
