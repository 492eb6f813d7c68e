import type { Db } from '../core/db';
import { enqueueAbsenceStart } from './absence-start';
import { setAbsence, type Absence } from './absences';

/**
 * An agent is away from `from` to `to` (dates, both included), as set through the API, the
 * console or Slack (`by`): stored, and the hand-over asked for at its first moment (now, when it
 * has begun). The same for every way in.
 */
export async function declareAbsence(db: Db, args: { agentId: string; from: string; to: string; by: string; now: number; timezone: string }): Promise<Absence> {
  return db.transaction(async (trx) => {
    const absence = await setAbsence(trx, args);
    await enqueueAbsenceStart(trx, { absence, timezone: args.timezone, now: args.now });
    return absence;
  });
}
