import { fail, type RequestEvent } from '@sveltejs/kit';
import { apiGet, apiGetSignedIn, refusedStatus, type ApiError } from '$lib/server/api';
import { donationError, GiftError, typedAmount } from '$lib/server/gift';
import { readForm, formText } from '$lib/server/form-text';
import { needsSignIn } from '$lib/server/who-is-asking';
import type { MyMonthly } from '$lib/server/my-giving';
import type { AppealDetail } from '$lib/types';
import { giftIdPattern } from '$lib/gift-ids';
import { m } from '$lib/paraglide/messages';
import { monthlyRefusal, sendGiftChange } from './gift-change.server';
import { unitFor } from '$lib/appeal-text';
import { shownUnitName } from '$lib/unit-words';
import { formatMinor, oneFullStop } from '$lib/format';
import { stripeMinimumChargeMinor } from '../../../../server/ledger/money';
import { pageHere, signInHere } from './sign-in-here.server';

/**
 * A monthly gift's new amount, typed the reader's way, from its next renewal on (nothing is
 * charged now); then back to the page, which says so once (Post/Redirect/Get: a reload sends
 * nothing again, nor says it was changed). A refusal comes back on the gift's own amount field,
 * with what was typed. A change to many times the amount, and a large one, is first asked to be
 * confirmed on the gift (a second step: Confirm sends it again, "Don't change" goes back, nothing changed).
 */
export async function changeAmount({ request, fetch, url, locals, cookies }: RequestEvent) {
  const here = pageHere(url);
  if (!locals.user) needsSignIn(locals, signInHere(url));
  const form = await readForm(request);
  const id = formText(form, 'id', 100);
  const coverFees = Boolean(form.get('coverFees'));
  const values = { amount: formText(form, 'amount', 40), coverFees };
  if (!giftIdPattern.test(id)) return fail(400, { error: m.monthly_change_amount_failed() });
  const refused = (status: number, error: string) => fail(status, { changeId: id, values, error });
  // The gift as the donor's page lists it: its currency says how to read what was typed.
  const { monthly } = await apiGetSignedIn<{ monthly: MyMonthly[] }>(fetch, `/api/me/monthly?lang=${locals.locale}`, here);
  const gift = monthly.find((g) => g.id === id);
  if (!gift) return fail(404, { error: m.monthly_error_not_yours({ email: locals.user?.email ?? '' }) });
  let amountMinor: bigint;
  try {
    amountMinor = typedAmount(values.amount, gift.currency, locals.locale);
  } catch (err) {
    if (err instanceof GiftError) return refused(400, err.message);
    throw err;
  }
  // The second step's Confirm sends confirm=1, with the amount it said the change was from; the
  // first step's Save never does.
  const confirmed = form.get('confirm') === '1';
  const confirmFromMinor = confirmed ? formText(form, 'confirmFrom', 20) : '';
  const requestKey = formText(form, 'requestKey', 100);
  const body = { amountMinor: amountMinor.toString(), coverFees, idempotencyKey: requestKey, ...(confirmed ? { confirm: true, ...(confirmFromMinor ? { confirmFromMinor } : {}) } : {}) };
  const sent = await sendGiftChange({ fetch, url, cookies }, { id, change: 'amount', body, notice: 'amount_changed', anchor: 'monthly-title' });
  // Many times the amount, and a large one: nothing changed yet; the page asks her to confirm
  // (from what to what, as the page says amounts), and Confirm sends the same change again under
  // the same key, confirmed. Not a failure: nothing was wrong with what she typed. Asked again
  // after Confirm, the gift's amount changed meanwhile (another tab, Stripe's Dashboard): the step
  // is shown again, from the amount the API says the gift has now, and says why.
  if (sent.error.code === 'monthly_amount_needs_confirm') {
    const fromMinor = currentAmountOf(sent.error) ?? gift.giftAmountMinor;
    return { confirmId: id, values, requestKey, confirmChange: { fromMinor, toMinor: amountMinor.toString(), currency: gift.currency, changedMeanwhile: confirmed } };
  }
  return refused(refusedStatus(sent.status), await refusal(fetch, sent, gift, { locale: locals.locale, coverFees, email: locals.user?.email, amountMinor }));
}

/** The gift's amount now, as the API's 409 monthly_amount_needs_confirm gives it (details.giftAmountMinor). */
function currentAmountOf(error: ApiError): string | undefined {
  const details: unknown = error.details;
  const current = details && typeof details === 'object' && 'giftAmountMinor' in details ? details.giftAmountMinor : undefined;
  return typeof current === 'string' && /^\d{1,15}$/.test(current) ? current : undefined;
}

/** Why the API refused the change, in the reader's language: an amount as the giving form says it, a gift that no longer renews, or the forms' common reasons. */
async function refusal(fetch: typeof globalThis.fetch, sent: { status: number; error: ApiError }, gift: MyMonthly, reader: { locale: string; coverFees: boolean; email?: string; amountMinor: bigint }): Promise<string> {
  const { code } = sent.error;
  if (code.startsWith('donation.amount_')) {
    // The giving form's own words for it (its smallest gift), which need the appeal's terms.
    const appeal = await apiGet<AppealDetail>(fetch, `/api/appeals/${encodeURIComponent(gift.appeal.slug)}`);
    const unit = unitFor(appeal, reader.locale);
    if (code === 'donation.amount_not_whole_units' && unit) return wholeUnitsRefusal(reader.amountMinor, unit, appeal.currency, reader.locale);
    return donationError(code, appeal, reader.locale, reader.coverFees).error;
  }
  return monthlyRefusal(sent, { failing: m.monthly_change_amount_failing(), ended: m.monthly_change_amount_ended(), fallback: m.monthly_change_amount_failed() }, reader.email);
}

/**
 * An amount that is no whole number of the appeal's units, said with the amounts around it that
 * are: this field asks for an amount, so the giving form's "give a whole number of meals" would
 * read, to a donor who typed $12 at $5 a meal, as if 12 were not a whole number.
 */
function wholeUnitsRefusal(amountMinor: bigint, unit: { name: string; priceMinor: string }, currency: string, locale: string): string {
  const price = BigInt(unit.priceMinor);
  const below = amountMinor - (amountMinor % price);
  // Not one Stripe would refuse as too small (a unit under its smallest charge).
  const least = stripeMinimumChargeMinor(currency) ?? 1n;
  const fitting = (below >= least ? [below, below + price] : [below + price]).map((minor) => formatMinor(minor.toString(), currency, locale));
  return oneFullStop(
    m.monthly_change_amount_whole_units({
      unitPrice: m.unit_price({ unit: shownUnitName(unit.name, locale), price: formatMinor(unit.priceMinor, currency, locale) }),
      amounts: new Intl.ListFormat(locale, { type: 'disjunction' }).format(fitting),
    }),
  );
}
