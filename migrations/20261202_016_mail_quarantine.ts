import type { Knex } from 'knex';

// Mail the hub could not store is moved out of the way into a quarantine mailbox, so the mail
// behind it keeps flowing; this is the console's list of it, with why.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mail_quarantine', (table) => {
    table.increments('id');
    table.string('mailbox', 200).notNullable(); // where it was read
    table.string('uid_validity', 32).notNullable();
    table.bigInteger('uid').notNullable();
    table.string('moved_to', 200).notNullable(); // the quarantine mailbox
    table.string('message_id');
    table.string('sender'); // as written in the mail: untrusted text
    table.string('subject');
    table.bigInteger('size').notNullable();
    table.string('reason', 32).notNullable(); // unreadable | not-stored
    table.text('error').notNullable();
    table.integer('attempts').notNullable();
    table.bigInteger('at').notNullable();
    table.unique(['mailbox', 'uid_validity', 'uid']);
    table.index(['at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mail_quarantine');
}
