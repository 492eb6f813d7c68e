import type { DbOrTrx } from './db';

/**
 * A display name that only repeats an address, as mail clients put in when the sender set no
 * name: "els.jansen@gmail.com", "'els.jansen@gmail.com'", or the local part itself ("els.jansen"
 * for els.jansen@gmail.com). It says nothing the address does not, and must not stand in the way
 * of her real name. "Els" for els@… is a name: local parts are written in lower case, names not.
 */
export function isAddressAsName(name: string, address: string | undefined): boolean {
  const bare = name.trim().replace(/^["']+|["']+$/g, '');
  if (bare.includes('@')) return true;
  const local = address?.slice(0, address.lastIndexOf('@'));
  return local !== undefined && local !== '' && bare === local;
}

/**
 * Gives the customer this name when she has none, or only one an address gave (see
 * isAddressAsName; `address` is the one this contact came from). One statement, so a webhook
 * without a name costs nothing and one with a name no read.
 */
export async function fillCustomerName(db: DbOrTrx, args: { customerId: number; name: string | undefined; address: string | undefined }): Promise<void> {
  const name = args.name?.trim();
  if (!name || isAddressAsName(name, args.address)) return;
  const local = args.address?.includes('@') ? args.address.slice(0, args.address.lastIndexOf('@')) : undefined;
  await db('customers')
    .where({ id: args.customerId })
    .where((query) => {
      query.whereNull('name').orWhere('name', 'like', '%@%');
      if (local) query.orWhere({ name: local });
    })
    .update({ name });
}
