/*
 * The idempotency key each change a donor makes to her monthly gift here sends Stripe: the change,
 * the gift, and the client's key for the attempt. Stripe's event of the change names the key it
 * was asked with (`request.idempotency_key`), so the poster knows the change for hers: her change
 * mails her itself, and a mail saying a treasurer made it would be a second one, and wrong.
 */

export type DonorChange = 'monthly-amount' | 'monthly-pause' | 'monthly-resume';

const donorChanges: readonly DonorChange[] = ['monthly-amount', 'monthly-pause', 'monthly-resume'];

export const donorChangeKey = (change: DonorChange, donationId: string, clientKey: string) => `${change}:${donationId}:${clientKey}`;

/** Whether Stripe was asked under `idempotencyKey` for one of the donor's own changes of this gift. */
export const isDonorChangeKey = (idempotencyKey: string | null | undefined, donationId: string): boolean =>
  typeof idempotencyKey === 'string' && donorChanges.some((change) => idempotencyKey.startsWith(`${change}:${donationId}:`));
