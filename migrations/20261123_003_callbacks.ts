import type { Knex } from 'knex';

// Booked callbacks: a promised time with one agent. `start`/`end` are the promised slot (epoch
// ms); `actual_start` and `outcome` are filled when the call happens, for punctuality figures.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('callbacks', (table) => {
    table.increments('id');
    table.integer('thread_id').notNullable().references('threads.id');
    table.string('team_id').notNullable();
    table.string('agent_id').notNullable();
    table.bigInteger('start').notNullable();
    table.bigInteger('end').notNullable();
    table.string('status', 16).notNullable(); // booked | cancelled | done | missed
    table.string('booked_via', 16).notNullable(); // api | sms | ivr | chat | email | slack
    table.bigInteger('created_at').notNullable();
    table.bigInteger('cancelled_at');
    table.bigInteger('actual_start');
    table.string('outcome', 32);
    table.index(['thread_id']);
    table.index(['agent_id', 'start']);
  });
  // The guarantee against double booking: an agent has at most one booked callback per start, and
  // a thread at most one booked callback. Partial indexes (knex's .index cannot express WHERE);
  // this SQL is the same on SQLite and PostgreSQL. "end" is reserved in PostgreSQL, so quote.
  await knex.raw(`create unique index callbacks_agent_start_booked on callbacks (agent_id, "start") where status = 'booked'`);
  await knex.raw(`create unique index callbacks_thread_booked on callbacks (thread_id) where status = 'booked'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('callbacks');
}
