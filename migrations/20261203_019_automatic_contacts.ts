import type { Knex } from 'knex';

// Mail no person wrote (an out-of-office, a read receipt, a list mail) joins its thread marked
// as such, so the agent reads it as a note about the customer, not as what she wrote.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contacts', (table) => {
    table.string('automatic', 32); // auto-reply | read-receipt | feedback-report | ... (see src/channels/email/auto-mail.ts); null: a person wrote it
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contacts', (table) => table.dropColumn('automatic'));
}
