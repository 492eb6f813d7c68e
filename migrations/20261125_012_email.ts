import type { Knex } from 'knex';

// Inbound email: the files that came with a contact, and how far the hub has read each mailbox.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('attachments', (table) => {
    table.increments('id');
    table.integer('contact_id').notNullable().references('contacts.id');
    table.string('filename').notNullable();
    table.string('content_type').notNullable();
    table.bigInteger('size').notNullable();
    table.binary('content'); // null: over the size limit, kept as metadata only
    table.index(['contact_id']);
  });
  // The catch-up cursor: UIDs are only meaningful within one UIDVALIDITY of one mailbox.
  await knex.schema.createTable('mailbox_cursors', (table) => {
    table.string('mailbox').primary();
    table.string('uid_validity').notNullable();
    table.bigInteger('last_uid').notNullable();
    table.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mailbox_cursors');
  await knex.schema.dropTableIfExists('attachments');
}
