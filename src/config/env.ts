import { z } from 'zod';
import { ConfigError, isKnownTimeZone } from './hub-config';

/** An empty variable (`PORT=`) counts as unset, as shells and .env files mean it. */
const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);
const optional = z.preprocess(unsetWhenEmpty, z.string().trim().min(1).optional());

const envSchema = z.object({
  PORT: z.preprocess(unsetWhenEmpty, z.coerce.number().int().min(0).max(65535).default(3000)),
  DATABASE_URL: z.string().min(1).default('sqlite:./data/klachtenhub.db'),
  PUBLIC_URL: z.url().optional(),
  HUB_CONFIG: z.string().min(1).default('config/klachtenhub.json'),
  HUB_TIMEZONE: optional.refine((zone) => zone === undefined || isKnownTimeZone(zone), 'unknown time zone'),
  API_TOKEN: optional,
  /**
   * Express's `trust proxy` for a hub behind a reverse proxy: a hop count ("1"), addresses or
   * subnets ("loopback", "10.0.0.1, 10.0.0.2"), or "true" for any. Unset: X-Forwarded-* is ignored.
   */
  TRUST_PROXY: optional.transform((value): boolean | number | string => {
    if (value === undefined || value === 'false') return false;
    if (value === 'true') return true;
    return /^\d+$/.test(value) ? Number(value) : value;
  }),
  TWILIO_ACCOUNT_SID: optional,
  TWILIO_AUTH_TOKEN: optional,
  TWILIO_PHONE_NUMBER: optional,
  TWILIO_API_URL: z.preprocess(unsetWhenEmpty, z.url().optional()),
  /** New calls a second Twilio allows the account (1 unless Twilio raised it); shared by every hub instance. */
  TWILIO_CALLS_PER_SECOND: z.preprocess(unsetWhenEmpty, z.coerce.number().positive().max(1000).default(1)),
  SLACK_BOT_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  /** Slack Web API base URL, e.g. "https://slack.com/api/" (Slack's own when unset). */
  SLACK_API_URL: z.preprocess(unsetWhenEmpty, z.url().optional()),
  SLACK_HANDOFF_CHANNEL: optional,
  SLACK_MANAGERS_CHANNEL: optional,
  /** The mailbox complaints arrive in; the hub reads it when IMAP_HOST is set. */
  IMAP_HOST: optional,
  IMAP_PORT: z.preprocess(unsetWhenEmpty, z.coerce.number().int().min(1).max(65535).optional()),
  IMAP_USER: optional,
  IMAP_PASSWORD: optional,
  /** TLS from the first byte (port 993), the default; "false" for a plain connection (a local test server). */
  IMAP_TLS: z.preprocess(unsetWhenEmpty, z.enum(['true', 'false']).default('true')).transform((value) => value === 'true'),
  IMAP_MAILBOX: z.preprocess(unsetWhenEmpty, z.string().min(1).default('INBOX')),
  /** Where mail the hub cannot store is moved for a person to look at; "/" between levels. */
  IMAP_QUARANTINE_MAILBOX: z.preprocess(unsetWhenEmpty, z.string().min(1).default('Klachtenhub/Quarantaine')),
  /** nodemailer connection URL, e.g. smtps://user:pass@smtp.example.nl:465; without it email goes to the outbox. */
  SMTP_URL: optional,
  /** Sender of every email, e.g. "Klantenservice <klachten@example.nl>"; required with SMTP_URL. */
  MAIL_FROM: optional,
  /** Signs the callback booking links in emails; the same value on every hub instance. */
  CALLBACK_LINK_SECRET: optional,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Scheduled jobs (sends, calls, notices) one process runs at once. */
  JOB_CONCURRENCY: z.preprocess(unsetWhenEmpty, z.coerce.number().int().min(1).max(100).default(8)),
  /** After SIGTERM: how long /readyz says 503 while the hub still serves, so a load balancer stops sending first. */
  STOP_DRAIN_MS: z.preprocess(unsetWhenEmpty, z.coerce.number().int().min(0).default(5_000)),
  /** After the drain: the longest the rest of a stop may take before the process exits anyway. */
  STOP_TIMEOUT_MS: z.preprocess(unsetWhenEmpty, z.coerce.number().int().min(1_000).default(20_000)),
});

export type HubEnv = z.infer<typeof envSchema> & { PUBLIC_URL: string };

/** The environment the hub reads, validated once at start. Secrets stay in here and are never logged. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): HubEnv {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new ConfigError(`invalid environment:\n${problems}`);
  }
  const env = result.data;
  if (env.IMAP_HOST && !(env.IMAP_USER && env.IMAP_PASSWORD)) throw new ConfigError('invalid environment:\n  IMAP_USER, IMAP_PASSWORD: required when IMAP_HOST is set');
  if (env.SMTP_URL && !env.MAIL_FROM) throw new ConfigError('invalid environment:\n  MAIL_FROM: required when SMTP_URL is set (the sender of every email)');
  return { ...env, PUBLIC_URL: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '') };
}
