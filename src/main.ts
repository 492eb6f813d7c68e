import pino from 'pino';
import { readEnv } from './config/env';
import { ConfigError, loadHubConfig } from './config/hub-config';
import { Hub } from './hub';
import { stopWhenOrphaned } from './parent-watch';

/** Beyond the drain and the stop's own limit: closing the store and flushing the log. */
const STOP_MARGIN_MS = 5_000;

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
    logger.info({ signal, drainMs: env.STOP_DRAIN_MS, timeoutMs: env.STOP_TIMEOUT_MS }, 'stopping');
    // Whatever a provider does (an IMAP server that never answers), the process ends.
    setTimeout(() => {
      logger.error('the stop took too long; exiting');
      process.exit(1);
    }, env.STOP_DRAIN_MS + env.STOP_TIMEOUT_MS + STOP_MARGIN_MS).unref();
    hub.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  // A signal while stopping is an operator (or a process manager) who will not wait. The npm
  // watch below is no such signal: a process group's SIGTERM also ends npm a moment later.
  const onSignal = (signal: string) => {
    if (!stopping) return shutdown(signal);
    logger.warn({ signal }, 'stopping now, without waiting for the rest');
    process.exit(1);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
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
