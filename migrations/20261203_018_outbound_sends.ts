import type { Knex } from 'knex';

/**
 * Every message or call the hub hands to a provider over the network, recorded before the
 * provider is called and with its result after (src/outbound/): a job that finds a send started
 * without a result asks the provider what happened before it sends again.
 * `rate_limits`: the next free moment per provider limit, shared by every hub instance (Twilio's
 * calls per second are counted per account). `store_probe`: the row /readyz writes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbound_sends', (table) => {
    table.increments('id');
    table.string('kind', 16).notNullable(); // message | call
    table.string('channel', 16).notNullable(); // sms | email | voice
    table.string('recipient').notNullable(); // E.164 phone or email address
    table.string('purpose', 32).notNullable(); // acknowledgement | reply | callback | satisfaction | callback-call
    table.integer('thread_id').references('threads.id');
    table.text('content').notNullable(); // JSON: the message (subject, body, html, mail threading) or the call (callback, attempt, agent)
    table.string('message_id'); // an email's Message-ID, fixed before the first attempt: a resend is the same mail
    table.string('state', 16).notNullable(); // queued | sending | sent | failed | withheld
    table.integer('attempts').notNullable().defaultTo(0);
    table.bigInteger('started_at'); // when the latest attempt called the provider
    table.text('progress'); // JSON: the parts the provider accepted so far (a long SMS is several messages)
    table.string('provider_id'); // MessageSid, CallSid, Message-ID of the result
    table.text('last_error');
    table.string('error_code', 32);
    table.bigInteger('due_at'); // when the promise it serves falls due: later, the team's leads are warned
    table.bigInteger('give_up_at').notNullable(); // after this a failing send fails for good, visibly
    table.bigInteger('delayed_at'); // first transient failure, noted on the timeline once
    table.bigInteger('warned_at');
    table.bigInteger('created_at').notNullable();
    table.bigInteger('finished_at');
    table.index(['state']);
    table.index(['thread_id']);
  });

  await knex.schema.createTable('rate_limits', (table) => {
    table.string('name', 64).primary(); // e.g. twilio-calls
    table.bigInteger('next_at').notNullable(); // the first moment not yet given out
  });

  await knex.schema.createTable('store_probe', (table) => {
    table.integer('id').primary();
    table.bigInteger('at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('store_probe');
  await knex.schema.dropTable('rate_limits');
  await knex.schema.dropTable('outbound_sends');
}
