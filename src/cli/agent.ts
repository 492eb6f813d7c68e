import { createInterface } from 'node:readline';
import { readEnv } from '../config/env';
import { ConfigError, loadHubConfig } from '../config/hub-config';
import { migrateToLatest, openDb } from '../core/db';
import { setPassword, unlockAgent } from '../console/credentials';
import { passwordProblem } from '../console/password-policy';

const USAGE = 'usage: npm run agent -- set-password <agentId> | unlock <agentId>';

/**
 * `npm run agent -- set-password <agentId>`: reads the new password from standard input (typed
 * at a prompt that does not echo it, or piped: `printf '%s\n' "$PW" | npm run agent -- set-password anna`)
 * and stores its scrypt hash; a password that is easy to guess is refused with the reason.
 * `npm run agent -- unlock <agentId>`: lifts the agent's console lock-outs, from every address.
 * The agent must exist in HUB_CONFIG.
 */
async function main(args: string[]): Promise<void> {
  const [command, agentId] = args;
  if ((command !== 'set-password' && command !== 'unlock') || !agentId) throw new ConfigError(USAGE);
  const env = readEnv();
  const config = loadHubConfig(env.HUB_CONFIG);
  const agent = config.agents.find((candidate) => candidate.id === agentId);
  if (!agent) throw new ConfigError(`unknown agent "${agentId}"; agents in ${env.HUB_CONFIG}: ${config.agents.map((known) => known.id).join(', ')}`);
  const password = command === 'set-password' ? await readPassword(`New password for ${agentId}: `) : undefined;
  const problem = password === undefined ? undefined : passwordProblem(password, [agent.id, agent.name, 'klachtenhub', 'klacht']);
  if (problem) throw new ConfigError(problem);
  const db = openDb({ url: env.DATABASE_URL });
  try {
    await migrateToLatest(db);
    if (password === undefined) {
      const forgotten = await unlockAgent(db, agentId);
      process.stdout.write(`${agentId} can log in again from every address (${forgotten} failed attempts forgotten).\n`);
    } else {
      await setPassword(db, { agentId, password, now: Date.now() });
      process.stdout.write(`Password set for ${agentId}.\n`);
    }
  } finally {
    await db.destroy();
  }
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
