import type { Knex } from 'knex';

// The team view reads the last 14 days: threads by when they opened and callbacks by their slot.
// Without these it read both tables whole on every page load, a year of history included.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('threads', (table) => table.index(['created_at']));
  await knex.schema.alterTable('callbacks', (table) => table.index(['start']));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('threads', (table) => table.dropIndex(['created_at']));
  await knex.schema.alterTable('callbacks', (table) => table.dropIndex(['start']));
}
