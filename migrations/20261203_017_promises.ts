import type { Knex } from 'knex';

/**
 * Promises as records (src/promises/): every promise made to a customer, until it is kept,
 * broken or cancelled. Agents' absences. A thread's priority and its last agent action.
 *
 * Existing stores: the open threads get their first-response and resolution promises and their
 * booked callbacks' promises, watched from their due time on (steps before it have gone by), and
 * the old per-thread `escalate` jobs still queued are dropped: the promise watch replaces them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('promises', (table) => {
    table.increments('id');
    table.integer('thread_id').notNullable().references('threads.id');
    table.string('kind', 16).notNullable(); // acknowledgement | first-response | resolution | callback | agent
    table.text('text'); // an agent's promise in their words
    table.bigInteger('made_at').notNullable();
    table.bigInteger('due').notNullable();
    table.string('agent_id'); // an agent's promise: who made it (and owns it)
    table.integer('callback_id').references('callbacks.id');
    table.string('state', 16).notNullable(); // open | kept | broken | cancelled
    table.bigInteger('settled_at'); // when it became kept, broken or cancelled
    table.string('settled_by'); // the agent who kept it, or why it ended (resolved, moved, ...)
    table.integer('replaces_id').references('promises.id'); // the broken or moved promise this one takes over from
    table.bigInteger('told_at'); // when the customer was first told its time
    table.text('told_channels'); // JSON channel[]: where the customer saw its time
    table.bigInteger('watch_at'); // the promise watch's next look (a step, the due time); null: nothing left to watch
    table.bigInteger('watched_until'); // every step up to this instant is done
    table.index(['thread_id']);
    table.index(['watch_at']);
    table.index(['callback_id']);
    table.index(['settled_at']);
  });

  await knex.schema.createTable('agent_absences', (table) => {
    table.increments('id');
    table.string('agent_id').notNullable();
    table.string('from_date', 10).notNullable(); // "2026-12-21", business time zone, included
    table.string('to_date', 10).notNullable(); // included
    table.string('source', 8).notNullable(); // config | set (API, console, Slack)
    table.string('set_by');
    table.bigInteger('created_at').notNullable();
    table.bigInteger('ended_at'); // ended early (DELETE): absent no longer from this instant
    table.index(['agent_id']);
  });
  // A configured absence is stored once however many hub instances start with it.
  await knex.raw(`create unique index agent_absences_config on agent_absences (agent_id, from_date, to_date) where source = 'config'`);

  await knex.schema.alterTable('threads', (table) => {
    table.string('priority', 8).notNullable().defaultTo('normal');
    table.bigInteger('agent_action_at');
  });

  await migrateOpenThreads(knex);
  await knex('jobs').where({ kind: 'escalate', state: 'queued' }).delete();
}

async function migrateOpenThreads(knex: Knex): Promise<void> {
  const threads: { id: number; created_at: number; first_response_due: number | null; first_response_at: number | null; resolution_due: number | null }[] = await knex('threads')
    .where({ status: 'open' })
    .select('id', 'created_at', 'first_response_due', 'first_response_at', 'resolution_due');
  const watchedFrom = (due: number) => ({ watch_at: due, watched_until: due - 1 });
  const rows: Record<string, unknown>[] = [];
  for (const thread of threads) {
    const madeAt = Number(thread.created_at);
    if (thread.first_response_due !== null) {
      const due = Number(thread.first_response_due);
      const answered = thread.first_response_at === null ? null : Number(thread.first_response_at);
      rows.push({
        thread_id: thread.id,
        kind: 'first-response',
        made_at: madeAt,
        due,
        state: answered === null ? 'open' : answered <= due ? 'kept' : 'broken',
        settled_at: answered,
        ...(answered === null ? watchedFrom(due) : {}),
      });
    }
    if (thread.resolution_due !== null) rows.push({ thread_id: thread.id, kind: 'resolution', made_at: madeAt, due: Number(thread.resolution_due), state: 'open', ...watchedFrom(Number(thread.resolution_due)) });
  }
  const callbacks: { id: number; thread_id: number; start: number; created_at: number }[] = await knex('callbacks').where({ status: 'booked' }).select('id', 'thread_id', 'start', 'created_at');
  for (const callback of callbacks) {
    rows.push({ thread_id: callback.thread_id, kind: 'callback', made_at: Number(callback.created_at), due: Number(callback.start), callback_id: callback.id, state: 'open', ...watchedFrom(Number(callback.start)) });
  }
  for (let i = 0; i < rows.length; i += 500) await knex('promises').insert(rows.slice(i, i + 500));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('threads', (table) => {
    table.dropColumn('priority');
    table.dropColumn('agent_action_at');
  });
  await knex.schema.dropTableIfExists('agent_absences');
  await knex.schema.dropTableIfExists('promises');
}
