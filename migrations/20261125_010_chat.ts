import type { Knex } from 'knex';

// Web chat: a customer's chat session (authorised by a token whose hash is kept) and what its
// stream shows, numbered per session in commit order so Last-Event-ID resumes exactly.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('chat_sessions', (table) => {
    table.string('id', 36).primary();
    table.string('token_hash', 64).notNullable().unique();
    table.string('name');
    table.string('email');
    table.string('phone');
    table.string('language', 2).notNullable();
    table.integer('thread_id').references('threads.id');
    /** Whether the thread was opened by this session (only then does the chat show its reference). */
    table.boolean('opened_thread').notNullable().defaultTo(false);
    table.integer('last_seq').notNullable().defaultTo(0);
    /** A hash of the client's IP address, for the per-address limit on new sessions. */
    table.string('client_hash', 64).notNullable();
    table.bigInteger('created_at').notNullable();
    table.index(['client_hash', 'created_at']);
  });
  await knex.schema.createTable('chat_events', (table) => {
    table.increments('id');
    table.string('session_id', 36).notNullable().references('chat_sessions.id');
    table.integer('seq').notNullable();
    table.string('kind', 16).notNullable();
    table.text('body').notNullable();
    table.text('data');
    table.bigInteger('at').notNullable();
    table.unique(['session_id', 'seq']);
    table.index(['session_id', 'kind', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('chat_events');
  await knex.schema.dropTableIfExists('chat_sessions');
}
