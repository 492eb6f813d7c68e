import type { Knex } from 'knex';

// Where each handoff card was posted in Slack (channel + message ts), so that later changes to the
// thread (advice, acceptance, a booked callback, resolution) update every card that shows it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('slack_cards', (table) => {
    table.increments('id');
    table.integer('thread_id').notNullable().references('threads.id');
    table.string('channel').notNullable();
    table.string('ts').notNullable();
    table.string('language', 2).notNullable();
    table.bigInteger('posted_at').notNullable();
    table.unique(['channel', 'ts']);
    table.index(['thread_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('slack_cards');
}
