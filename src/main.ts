import pino from 'pino';
import { readEnv } from './config/env';
import { ConfigError, loadHubConfig } from './config/hub-config';
import { Hub } from './hub';
import { stopWhenOrphaned } from './parent-watch';

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
  if (process.env.npm_lifecycle_event === 'start') stopWhenOrphaned(shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`Klachtenhub did not start: ${startFailure(error)}\n`);
  process.exit(1);
});

/** What the operator reads when the hub cannot start: what to do, not a stack trace, where we know. */
function startFailure(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  const system = error as NodeJS.ErrnoException & { port?: number };
  if (system.code === 'EADDRINUSE') return `port ${system.port} is in use by another program (another hub?); stop it, or set PORT to a free port`;
  if (system.code === 'EACCES' && system.syscall === 'listen') return `no permission to listen on port ${system.port}; ports below 1024 need privileges: set PORT to 1024 or higher`;
  return system.stack ?? String(error);
}
