import pino from 'pino';
import { readEnv } from './config/env';
import { ConfigError, loadHubConfig } from './config/hub-config';
import { Hub } from './hub';

/** Start-up is all or nothing: a bad setting stops the process before it listens. */
async function main(): Promise<void> {
  const env = readEnv();
  const logger = pino({ level: env.LOG_LEVEL });
  const config = loadHubConfig(env.HUB_CONFIG);
  const hub = await Hub.create({ env, config, logger });
  const port = await hub.listen();
  const store = env.DATABASE_URL.startsWith('postgres') ? 'PostgreSQL' : 'SQLite';
  logger.info({ port, publicUrl: env.PUBLIC_URL, store, teams: config.teams.length, agents: config.agents.length }, 'Klachtenhub is listening');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    hub.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // Configuration errors are for the operator: the message, not a stack trace.
  const message = error instanceof ConfigError ? error.message : (error as Error).stack ?? String(error);
  process.stderr.write(`Klachtenhub did not start: ${message}\n`);
  process.exit(1);
});
