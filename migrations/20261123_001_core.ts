import type { Knex } from 'knex';

// Times are epoch milliseconds (bigint): one representation that compares and indexes the same
// way on SQLite and PostgreSQL, with no driver-specific time zone conversion.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('customers', (table) => {
    table.increments('id');
    table.string('name');
    table.string('language', 8).notNullable().defaultTo('nl');
    table.integer('merged_into').references('customers.id').index(); // set while merged into another customer
    table.bigInteger('created_at').notNullable();
  });

  // One row per way to reach a customer. (kind, value) is unique: an address belongs to one customer.
  await knex.schema.createTable('identities', (table) => {
    table.increments('id');
    table.integer('customer_id').notNullable().references('customers.id');
    table.string('kind', 16).notNullable(); // phone (E.164) | email (lower case) | chat (session id)
    table.string('value').notNullable();
    table.bigInteger('created_at').notNullable();
    table.unique(['kind', 'value']);
    table.index(['customer_id']);
  });

  await knex.schema.createTable('threads', (table) => {
    table.increments('id');
    table.string('reference', 16).notNullable().unique();
    table.integer('customer_id').notNullable().references('customers.id');
    table.string('status', 16).notNullable(); // open | resolved
    table.string('category');
    table.text('summary');
    table.string('language', 8).notNullable();
    table.string('channel', 16).notNullable(); // the channel it came in on
    table.string('team_id');
    table.string('agent_id');
    table.integer('linked_thread_id').references('threads.id');
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.bigInteger('first_response_due');
    table.bigInteger('resolution_due');
    table.bigInteger('first_response_at');
    table.bigInteger('resolved_at');
    table.index(['customer_id', 'status']);
    table.index(['status', 'updated_at']);
    table.index(['linked_thread_id']);
  });

  await knex.schema.createTable('contacts', (table) => {
    table.increments('id');
    table.integer('thread_id').notNullable().references('threads.id');
    table.string('channel', 16).notNullable();
    table.string('direction', 16).notNullable(); // inbound | outbound
    table.string('provider_id'); // CallSid, MessageSid, Message-ID, chat message id
    table.string('message_id'); // email Message-ID, so replies can find their thread
    table.string('from_kind', 16);
    table.string('from_value');
    table.text('body').notNullable();
    table.bigInteger('at').notNullable();
    table.text('raw'); // the provider's payload as received, JSON
    table.unique(['channel', 'provider_id']);
    table.index(['thread_id', 'at']);
    table.index(['message_id']);
  });

  await knex.schema.createTable('advice', (table) => {
    table.increments('id');
    table.integer('thread_id').notNullable().references('threads.id');
    table.string('agent').notNullable();
    table.text('text').notNullable();
    table.bigInteger('at').notNullable();
    table.index(['thread_id']);
  });

  await knex.schema.createTable('timeline_events', (table) => {
    table.increments('id');
    table.integer('thread_id').notNullable().references('threads.id');
    table.string('kind', 32).notNullable();
    table.text('data'); // JSON
    table.bigInteger('at').notNullable();
    table.index(['thread_id', 'at']);
  });

  // Merges are recorded with exactly what moved, so an undo restores it.
  await knex.schema.createTable('customer_merges', (table) => {
    table.increments('id');
    table.integer('from_customer_id').notNullable().references('customers.id').index();
    table.integer('into_customer_id').notNullable().references('customers.id').index();
    table.text('moved_identity_ids').notNullable(); // JSON number[]
    table.text('moved_thread_ids').notNullable(); // JSON number[]
    table.string('by');
    table.bigInteger('at').notNullable();
    table.bigInteger('undone_at');
  });

  await knex.schema.createTable('outbox', (table) => {
    table.increments('id');
    table.integer('thread_id').references('threads.id');
    table.string('channel', 16).notNullable();
    table.string('recipient').notNullable();
    table.string('subject');
    table.text('body').notNullable();
    table.string('purpose', 32).notNullable(); // acknowledgement | reply | ...
    table.bigInteger('at').notNullable();
    table.index(['thread_id']);
  });

  await knex.schema.createTable('jobs', (table) => {
    table.increments('id');
    table.string('kind', 32).notNullable();
    table.text('payload').notNullable(); // JSON
    table.string('dedupe_key').unique(); // one job per key, e.g. "acknowledge:<thread id>"
    table.string('state', 16).notNullable(); // queued | running | done | failed
    table.bigInteger('run_at').notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.integer('max_attempts').notNullable();
    table.bigInteger('lease_until');
    table.string('locked_by');
    table.text('last_error');
    table.bigInteger('created_at').notNullable();
    table.bigInteger('finished_at');
    table.index(['state', 'run_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['jobs', 'outbox', 'customer_merges', 'timeline_events', 'advice', 'contacts', 'threads', 'identities']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.dropTableIfExists('customers');
}
