import type Stripe from 'stripe';
import type { Database } from '../../db/client';
import { createDonation } from '../../server/payments/service';

/**
 * A real one-off gift paid in the emulator: the donation through the service (the route would
 * rate-limit a bench), its Checkout Session paid, and the session as Stripe's event would carry it.
 */
export async function paidCheckoutSession(
  deps: { database: Database; stripe: Stripe; emulator: { payCheckoutSession(sessionId: string): unknown }; publicUrl: string },
  gift: { slug: string; amountMinor: bigint; donorEmail: string; idempotencyKey: string },
): Promise<{ session: Stripe.Checkout.Session; paidAtSeconds: number }> {
  const { checkoutUrl } = await createDonation({ db: deps.database.db, stripe: deps.stripe, publicUrl: deps.publicUrl }, gift.slug, {
    amountMinor: gift.amountMinor.toString(),
    frequency: 'one_off',
    coverFees: false,
    anonymous: false,
    updatesOptIn: false,
    donorEmail: gift.donorEmail,
    locale: 'en',
    idempotencyKey: gift.idempotencyKey,
  });
  const sessionId = new URL(checkoutUrl).pathname.split('/').at(-1)!;
  await deps.emulator.payCheckoutSession(sessionId);
  const paidAtSeconds = Math.floor(Date.now() / 1000);
  return { session: await deps.stripe.checkout.sessions.retrieve(sessionId), paidAtSeconds };
}
