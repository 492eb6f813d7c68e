import type { Knex } from 'knex';

// The agents' console: a password per agent (scrypt, set from the command line), failed logins
// for the lock-out, and login sessions kept in the store so any hub instance serves them.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_credentials', (table) => {
    table.string('agent_id').primary();
    table.string('password_hash').notNullable();
    table.integer('failed_attempts').notNullable().defaultTo(0);
    table.bigInteger('locked_until');
    table.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('console_sessions', (table) => {
    table.string('id_hash', 64).primary();
    table.string('agent_id').notNullable();
    table.string('csrf_token', 64).notNullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('expires_at').notNullable();
    table.index(['agent_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('console_sessions');
  await knex.schema.dropTableIfExists('agent_credentials');
}
