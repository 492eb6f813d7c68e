import type { Knex } from 'knex';

// Twilio SMS: delivery state per outbound contact, the Twilio messages behind it, and opt-outs.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contacts', (table) => {
    table.string('delivery_status', 16); // queued | sent | delivered | failed | undelivered (outbound only)
    table.string('delivery_error_code', 16); // Twilio ErrorCode, e.g. 30003
    table.bigInteger('delivery_updated_at');
  });

  // One row per Twilio message: a text over 1600 characters goes out as several messages,
  // all belonging to one outbound contact (contact_provider_id = the first message's sid).
  await knex.schema.createTable('sms_parts', (table) => {
    table.increments('id');
    table.string('provider_id').notNullable().unique(); // MessageSid
    table.string('contact_provider_id').notNullable();
    table.integer('thread_id').references('threads.id');
    table.string('recipient').notNullable();
    table.integer('part').notNullable();
    table.integer('parts').notNullable();
    table.string('encoding', 8).notNullable(); // GSM-7 | UCS-2
    table.integer('segments').notNullable();
    table.string('status', 16).notNullable();
    table.string('error_code', 16);
    table.bigInteger('at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.index(['contact_provider_id']);
  });

  // A number that texted STOP (or another opt-out word); START removes the row.
  await knex.schema.createTable('sms_opt_outs', (table) => {
    table.string('phone').primary(); // E.164
    table.string('keyword', 16).notNullable();
    table.bigInteger('at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sms_opt_outs');
  await knex.schema.dropTableIfExists('sms_parts');
  await knex.schema.alterTable('contacts', (table) => {
    table.dropColumn('delivery_status');
    table.dropColumn('delivery_error_code');
    table.dropColumn('delivery_updated_at');
  });
}
