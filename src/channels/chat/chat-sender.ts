import { appendChatEvent, type ChatEventKind } from '../../core/chat';
import type { DbOrTrx } from '../../core/db';
import type { OutboundMessage, OutboundPurpose, SendReceipt, StoreSender } from '../../core/outbound';

// A chat needs no code (the session is its own proof); were one sent, it would be a notice.
const KIND: Record<OutboundPurpose, ChatEventKind> = { acknowledgement: 'acknowledgement', reply: 'reply', satisfaction: 'satisfaction', callback: 'callback', verification: 'notice' };

/**
 * Chat's provider: a message to a chat session (`to` is the session id) becomes an event on the
 * session's stream, written in the sender's transaction. Every hub instance serving that
 * session's stream picks it up from the store, so no instance needs to hold the connection.
 */
export class ChatSender implements StoreSender {
  readonly via = 'store';

  async send(db: DbOrTrx, message: OutboundMessage, now: number): Promise<SendReceipt> {
    const seq = await appendChatEvent(db, { sessionId: message.to, kind: KIND[message.purpose], text: message.body, at: now });
    return { providerId: `chat:${message.to}:${seq}` };
  }
}
