import type { Knex } from 'knex';

/** Which channel's own contact proves an address of each kind (the provider signs or delivers it). */
const PROVING_CHANNELS: Record<string, string[]> = { phone: ['sms', 'voice'], email: ['email'], chat: ['chat'] };

// Proof before trust. `identities` keeps only addresses the hub can prove are the customer's
// (by the channel, a one-time code or an agent); everything else becomes a claim, shown to agents
// and never used to join a thread or to send. Existing stores: an address is proven where a
// contact of its customer came from it on its own channel; every other identity is a claim.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('identities', (table) => {
    table.string('proof', 16).notNullable().defaultTo('channel'); // channel | code | agent
    table.string('proven_by'); // the agent who confirmed it
    table.bigInteger('proven_at');
  });
  await knex.schema.createTable('identity_claims', (table) => {
    table.increments('id');
    table.integer('customer_id').notNullable().references('customers.id');
    table.string('kind', 16).notNullable();
    table.string('value').notNullable();
    // reference | email-text | chat-form | dmarc-fail | before-proof
    table.string('via', 32).notNullable();
    table.integer('thread_id').references('threads.id');
    table.bigInteger('at').notNullable();
    table.unique(['customer_id', 'kind', 'value']);
    table.index(['kind', 'value']);
  });
  await knex.schema.alterTable('contacts', (table) => {
    // Whether the hub has proof that this contact came from its thread's customer.
    table.boolean('verified').notNullable().defaultTo(true);
  });
  await knex.schema.alterTable('customer_merges', (table) => table.text('moved_claim_ids')); // JSON number[]
  await knex.schema.createTable('verification_codes', (table) => {
    table.increments('id');
    table.string('session_id', 36).notNullable().references('chat_sessions.id');
    table.string('kind', 16).notNullable();
    table.string('value').notNullable();
    table.string('code_hash', 64).notNullable();
    table.integer('tries').notNullable().defaultTo(0);
    table.bigInteger('created_at').notNullable();
    table.bigInteger('expires_at').notNullable();
    table.bigInteger('proven_at');
    table.index(['session_id', 'created_at']);
    table.index(['kind', 'value', 'created_at']);
  });

  await knex('identities').update({ proven_at: knex.ref('created_at') });
  const identities: { id: number; customer_id: number; kind: string; value: string; created_at: number }[] = await knex('identities').select('id', 'customer_id', 'kind', 'value', 'created_at');
  for (const identity of identities) {
    const ownContact = await knex('contacts')
      .join('threads', 'threads.id', 'contacts.thread_id')
      .where({ 'threads.customer_id': identity.customer_id, 'contacts.direction': 'inbound', 'contacts.from_kind': identity.kind, 'contacts.from_value': identity.value })
      .whereIn('contacts.channel', PROVING_CHANNELS[identity.kind] ?? [])
      .first('contacts.id');
    if (ownContact) continue;
    await knex('identity_claims').insert({ customer_id: identity.customer_id, kind: identity.kind, value: identity.value, via: 'before-proof', thread_id: null, at: identity.created_at });
    await knex('identities').where({ id: identity.id }).delete();
  }
  // A contact is verified when it came from a proven address of its thread's customer, or from no
  // address at all on a thread it opened (a withheld caller: nobody else's complaint is reached).
  const unverified: { id: number }[] = await knex('contacts')
    .join('threads', 'threads.id', 'contacts.thread_id')
    .where('contacts.direction', 'inbound')
    .whereNotNull('contacts.from_value')
    .whereNotExists(
      knex('identities')
        .whereRaw('identities.customer_id = threads.customer_id')
        .whereRaw('identities.kind = contacts.from_kind')
        .whereRaw('identities.value = contacts.from_value'),
    )
    .select('contacts.id');
  for (let start = 0; start < unverified.length; start += 500) {
    await knex('contacts').whereIn('id', unverified.slice(start, start + 500).map((row) => row.id)).update({ verified: false });
  }
}

export async function down(knex: Knex): Promise<void> {
  const claims: { customer_id: number; kind: string; value: string; at: number }[] = await knex('identity_claims').select('customer_id', 'kind', 'value', 'at');
  for (const claim of claims) {
    const taken = await knex('identities').where({ kind: claim.kind, value: claim.value }).first('id');
    if (!taken) await knex('identities').insert({ customer_id: claim.customer_id, kind: claim.kind, value: claim.value, created_at: claim.at });
  }
  await knex.schema.dropTable('verification_codes');
  await knex.schema.alterTable('customer_merges', (table) => table.dropColumn('moved_claim_ids'));
  await knex.schema.alterTable('contacts', (table) => table.dropColumn('verified'));
  await knex.schema.dropTable('identity_claims');
  await knex.schema.alterTable('identities', (table) => {
    table.dropColumn('proof');
    table.dropColumn('proven_by');
    table.dropColumn('proven_at');
  });
}
