import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type DbOrTx } from '../../db/client';
import { stripeGiftIdPattern } from '../../web/src/lib/gift-ids';

/** One of Stripe's ids for a gift (see the pattern), as the lookup takes it. */
export const stripeObjectId = z.string().regex(stripeGiftIdPattern, {
  error: "a Stripe id of a gift's checkout session, payment, charge, invoice, subscription, refund or dispute (cs_, pi_, ch_, py_, in_, sub_, re_, pyr_, dp_, du_)",
});

/**
 * The gift a Stripe id belongs to, with its appeal's organization; undefined when none does. A
 * subscription names the monthly gift (its first donation); a refund, its ask or its posting.
 */
export async function giftOfStripeId(db: DbOrTx, stripeId: string): Promise<{ id: string; organizationId: string } | undefined> {
  const prefix = stripeId.slice(0, stripeId.indexOf('_'));
  const donation = (() => {
    switch (prefix) {
      case 'cs':
        return sql`SELECT id FROM donations WHERE checkout_session_id = ${stripeId}`;
      // Read rarely (a treasurer's lookup), so no index of its own: the poster writes every gift.
      case 'pi':
        return sql`SELECT id FROM donations WHERE payment_intent_id = ${stripeId}`;
      case 'ch':
      case 'py':
        return sql`SELECT id FROM donations WHERE charge_id = ${stripeId}`;
      case 'in':
        return sql`SELECT id FROM donations WHERE invoice_id = ${stripeId}`;
      case 'sub':
        return sql`SELECT id FROM donations WHERE subscription_id = ${stripeId} AND parent_donation_id IS NULL`;
      case 're':
      case 'pyr':
        return sql`SELECT donation_id AS id FROM refund_asks WHERE refund_id = ${stripeId}
                   UNION ALL
                   SELECT (metadata->>'donationId')::uuid FROM ledger_transactions WHERE idempotency_key = ${`stripe:${stripeId}:refund`}`;
      default:
        return sql`SELECT donation_id AS id FROM disputes WHERE id = ${stripeId}`;
    }
  })();
  const [found] = await queryRows<{ id: string; organization_id: string }>(
    db,
    sql`SELECT d.id::text AS id, p.organization_id::text AS organization_id
          FROM (${donation} LIMIT 1) AS x JOIN donations d ON d.id = x.id JOIN appeals p ON p.id = d.appeal_id`,
  );
  return found && { id: found.id, organizationId: found.organization_id };
}
