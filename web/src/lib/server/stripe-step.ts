import { stripeStepMinor } from '../../../../server/ledger/money';
import { formatMinor } from '$lib/format';

/** The step Stripe charges and refunds a currency in, as a reader reads it ("KWD 0.010"), for messages that name it. */
export function stripeStepShown(currency: string, locale: string): string {
  return formatMinor(stripeStepMinor(currency).toString(), currency, locale);
}
