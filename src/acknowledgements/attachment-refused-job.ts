import { z } from 'zod';
import type { HubConfig } from '../config/hub-config';
import { MAX_ATTACHMENT_BYTES, type Language } from '../core/contact';
import { deliver, type Senders } from '../core/outbound';
import { recipientFor } from '../core/recipient';
import type { JobHandler } from '../jobs/worker';
import { render } from '../views/templates';

const payloadSchema = z.object({ threadId: z.number().int(), contactId: z.number().int() });

/**
 * Tells the customer which files of their mail were too large to keep, so they can send them
 * again: otherwise they would think the photos of the damage are in the dossier.
 */
export function attachmentRefusedJob(deps: { config: HubConfig; senders: Senders; clock: () => number }): JobHandler {
  return async (job, trx) => {
    const { threadId, contactId } = payloadSchema.parse(job.payload);
    const contact: { thread_id: number; customer_id: number; reference: string; language: Language; team_id: string; name: string | null } | undefined = await trx('contacts')
      .join('threads', 'threads.id', 'contacts.thread_id')
      .join('customers', 'customers.id', 'threads.customer_id')
      .where('contacts.id', contactId)
      .first('contacts.thread_id', 'threads.customer_id', 'threads.reference', 'threads.language', 'threads.team_id', 'customers.name');
    const to = contact && (await recipientFor(trx, { id: contact.thread_id, customer_id: contact.customer_id }, 'email'));
    if (!contact || !to) return;
    const files: { filename: string; size: number }[] = await trx('attachments').where({ contact_id: contactId }).whereNull('content').select('filename', 'size');
    if (files.length === 0) return;
    const language = contact.language;
    const data = {
      name: contact.name ?? '',
      reference: contact.reference,
      team: deps.config.teams.find((team) => team.id === contact.team_id)?.name ?? '',
      limit: megabytes(MAX_ATTACHMENT_BYTES),
      several: files.length > 1,
      files: files.map((file) => ({ filename: file.filename, size: megabytes(Number(file.size)) })),
    };
    await deliver(
      trx,
      deps.senders,
      {
        threadId,
        channel: 'email',
        to,
        subject: render('attachment-refused/email-subject', { language, format: 'txt' }, data),
        body: render('attachment-refused/email', { language, format: 'txt' }, data),
        purpose: 'acknowledgement',
      },
      deps.clock(),
    );
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}
