import type { Knex } from 'knex';

// Console lock-out per agent and client address: five wrong passwords from one address lock that
// address out for that agent only, so nobody can lock an agent out from elsewhere. The per-agent
// counter it replaces is dropped.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('console_login_failures', (table) => {
    table.increments('id');
    table.string('agent_id', 100).notNullable(); // as typed: unknown agents count alike, so the answer never tells which exist
    table.string('client', 64).notNullable(); // a hash of the client's address
    table.bigInteger('at').notNullable();
    table.index(['agent_id', 'client', 'at']);
  });
  await knex.schema.alterTable('agent_credentials', (table) => {
    table.dropColumn('failed_attempts');
    table.dropColumn('locked_until');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('agent_credentials', (table) => {
    table.integer('failed_attempts').notNullable().defaultTo(0);
    table.bigInteger('locked_until');
  });
  await knex.schema.dropTable('console_login_failures');
}
