import { createInterface } from 'node:readline';
import { readEnv } from '../config/env';
import { ConfigError, loadHubConfig } from '../config/hub-config';
import { migrateToLatest, openDb } from '../core/db';
import { MIN_PASSWORD_LENGTH, setPassword } from '../console/credentials';

/**
 * `npm run agent -- set-password <agentId>`: reads the new password from standard input (typed
 * at a prompt that does not echo it, or piped: `printf '%s\n' "$PW" | npm run agent -- set-password anna`)
 * and stores its scrypt hash. The agent must exist in HUB_CONFIG.
 */
async function main(args: string[]): Promise<void> {
  const [command, agentId] = args;
  if (command !== 'set-password' || !agentId) throw new ConfigError('usage: npm run agent -- set-password <agentId>');
  const env = readEnv();
  const config = loadHubConfig(env.HUB_CONFIG);
  if (!config.agents.some((agent) => agent.id === agentId)) {
    throw new ConfigError(`unknown agent "${agentId}"; agents in ${env.HUB_CONFIG}: ${config.agents.map((agent) => agent.id).join(', ')}`);
  }
  const password = await readPassword(`New password for ${agentId}: `);
  if (password.length < MIN_PASSWORD_LENGTH) throw new ConfigError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  const db = openDb({ url: env.DATABASE_URL });
  try {
    await migrateToLatest(db);
    await setPassword(db, { agentId, password, now: Date.now() });
  } finally {
    await db.destroy();
  }
  process.stdout.write(`Password set for ${agentId}.\n`);
}

/** One line from stdin; at a terminal, typed without being shown. */
async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    for await (const line of createInterface({ input: process.stdin })) return line.replace(/\r$/, '');
    return '';
  }
  process.stdout.write(prompt);
  process.stdin.setRawMode(true);
  let typed = '';
  try {
    for await (const chunk of process.stdin) {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') return typed;
        if (char === '\u0003') throw new ConfigError('cancelled');
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    }
    return typed;
  } finally {
    process.stdin.setRawMode(false);
    process.stdin.pause();
    process.stdout.write('\n');
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
});
