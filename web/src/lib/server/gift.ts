import { MoneyError, parseAmount, stripeMinimumChargeMinor, stripeStepMinor } from '../../../../server/ledger/money';
import { largestGiftMinor } from '../../../../server/payments/charge-limits';
import { parseUnits, tooManyUnits } from '$lib/amounts';
import { usDollarEstimateMinorOf } from '../../../../server/ledger/stripe-minimum';
import { unitFor } from '$lib/appeal-text';
import { amountExample, currencyExponentOf, formatMinor, oneFullStop } from '$lib/format';
import { unitWords } from '$lib/unit-words';
import { m } from '$lib/paraglide/messages';
import { stripeStepShown } from './stripe-step';
import type { AppealDetail } from '$lib/types';
import { formText } from './form-text';
import { formatLocaleFor } from '$lib/format-locale';

type Field = 'amount' | 'email' | 'name' | 'message';

/** A gift the form cannot start, with the message for the reader and the field it is about. */
export class GiftError extends Error {
  constructor(
    message: string,
    readonly field: Field,
  ) {
    super(message);
  }
}

/**
 * The gift in minor units. A unit appeal takes a number of units (a suggested one, or one typed);
 * any other appeal an amount (suggested, or typed the reader's way: "1.234,50" in German). A typed
 * value wins over a suggested one, so the form means the same with or without JavaScript.
 */
export function giftAmount(form: FormData, appeal: AppealDetail, locale: string): bigint {
  const unit = unitFor(appeal, locale);
  if (unit) {
    const typed = formText(form, 'unitsOther');
    const asked = typed || formText(form, 'units');
    const units = parseUnits(asked);
    if (units === null) throw new GiftError(tooManyUnits(asked) ? tooLarge(appeal, locale, Boolean(form.get('coverFees'))) : m.error_units(unitWords(unit, locale)), 'amount');
    return BigInt(units) * BigInt(unit.priceMinor);
  }
  const typed = formText(form, 'amount');
  if (!typed) {
    const preset = formText(form, 'preset');
    if (/^\d{1,15}$/.test(preset) && preset !== '0') return BigInt(preset);
  }
  return typedAmount(typed, appeal.currency, locale);
}

/** An amount typed the reader's way ("1.234,50" in German, "5,000" in Japanese), in minor units; a GiftError on the amount field when it is none. */
export function typedAmount(typed: string, currency: string, locale: string): bigint {
  try {
    // Read as the page writes amounts: "1,500" is 1500 in Mexico, refused in Spain (where it is 1.5).
    return parseAmount(typed, currency, formatLocaleFor(locale));
  } catch (err) {
    if (!(err instanceof MoneyError)) throw err;
    throw new GiftError(moneyMessage(err.code, currency, locale), 'amount');
  }
}

/**
 * Past the most one card payment holds: the largest gift that fits, as the API refuses it
 * (Stripe's ceiling, less the fees when the donor covers them, in whole units on a unit appeal).
 */
function tooLarge(appeal: AppealDetail, locale: string, coverFees: boolean): string {
  const largest = largestGiftMinor(appeal.currency, coverFees, appeal.unit ? BigInt(appeal.unit.priceMinor) : null);
  return m.error_too_large({ max: formatMinor(largest.toString(), appeal.currency, locale) });
}

function moneyMessage(code: string, currency: string, locale: string): string {
  if (code === 'money.empty') return m.error_amount_empty();
  if (code === 'money.negative') return m.error_amount_negative();
  if (code === 'money.too_many_decimals') return m.error_amount_decimals({ example: amountExample(currency, locale) });
  return m.error_amount_invalid({ example: amountExample(currency, locale) });
}

/** The reader's message for an error code of the donations API (or of the form itself), for a gift covering the fees or not. */
export function donationError(code: string, appeal: AppealDetail, locale: string, coverFees = false): { error: string; field?: Field } {
  const minimum = stripeMinimumChargeMinor(appeal.currency) ?? stripeStepMinor(appeal.currency);
  switch (code) {
    case 'email_missing':
    case 'email_invalid':
      return { error: m.error_email(), field: 'email' };
    case 'name_invalid':
      return { error: m.error_name_invalid(), field: 'name' };
    case 'message_invalid':
      return { error: m.error_message_invalid(), field: 'message' };
    case 'donation.amount_too_small':
      return { error: oneFullStop(m.error_too_small({ amount: formatMinor(minimum.toString(), appeal.currency, locale) })), field: 'amount' };
    case 'donation.amount_below_card_minimum': {
      // Stripe's minimum where it publishes none is 0.50 USD at the day's rate: about a dollar is
      // named, which clears it when the rate moves.
      const about = usDollarEstimateMinorOf(appeal.currency, currencyExponentOf(appeal.currency));
      return { error: about ? m.error_below_card_minimum({ amount: formatMinor(about.toString(), appeal.currency, locale) }) : m.error_below_card_minimum_plain(), field: 'amount' };
    }
    case 'donation.amount_too_large':
      return { error: tooLarge(appeal, locale, coverFees), field: 'amount' };
    case 'donation.amount_not_payable':
      return { error: m.error_amount_not_payable({ step: stripeStepShown(appeal.currency, locale) }), field: 'amount' };
    case 'donation.amount_not_whole_units': {
      const unit = unitFor(appeal, locale);
      return { error: m.error_units(unit ? unitWords(unit, locale) : { unit: '', unitForm: 'named' }), field: 'amount' };
    }
    case 'appeal_not_found':
      return { error: m.error_appeal_closed() };
    case 'rate_limited':
      return { error: m.error_rate_limited() };
    default:
      return { error: m.error_start_failed() };
  }
}
