import { z } from 'zod';
import { MoneyError, isCurrency, parseAmount } from '../../../../server/ledger/money';
import { MarkdownTooDeep, renderMarkdown } from '../../../../server/content/markdown';
import { appealAmountMaxMinor } from '../../../../server/appeals/manage-schemas';
import { amountExample, formatMinor, formatMinorPlain } from '$lib/format';
import { stripeStepShown } from './stripe-step';
import { m } from '$lib/paraglide/messages';
import { localeName } from '$lib/locale';
import type { ApiError } from './api';
export { slugFrom } from '$lib/slug';

/** An appeal as its organizers see it (GET /api/appeals/:slug/manage; kept in step with server/appeals/manage-schemas.ts). */
import type { ManagedAppeal } from '$lib/types';
import { formatLocaleFor } from '$lib/format-locale';
export type { ManagedAppeal };

export type AppealField = 'title' | 'slug' | 'summary' | 'story' | 'beneficiary' | 'language' | 'currency' | 'goal' | 'unitName' | 'unitPrice' | 'deadline' | 'form';
export type FieldErrors = Partial<Record<AppealField, string>>;

/** What the organizer typed, as strings, to put back in the form when something needs fixing. */
export type AppealValues = Record<'title' | 'slug' | 'summary' | 'story' | 'beneficiary' | 'language' | 'currency' | 'goal' | 'unitName' | 'unitPrice' | 'deadline', string>;

export interface AppealBody {
  slug?: string;
  title: string;
  summary: string;
  storyMarkdown: string;
  beneficiary: string;
  language: string;
  currency: string;
  goalMinor: string;
  unit: { name: string; priceMinor: string } | null;
  deadlineAt: string | null;
}

const text = (form: FormData, name: string, max: number) => String(form.get(name) ?? '').slice(0, max);

/** What an edit form says it was drawn from (a hidden field the browser sends back): the same strings, as long as the form's own. */
export const baseValuesSchema: z.ZodType<AppealValues> = z.strictObject({
  title: z.string().max(200),
  slug: z.string().max(100),
  summary: z.string().max(400),
  story: z.string().max(21_000),
  beneficiary: z.string().max(200),
  language: z.string().max(10),
  currency: z.string().max(3),
  goal: z.string().max(30),
  unitName: z.string().max(60),
  unitPrice: z.string().max(30),
  deadline: z.string().max(30),
});

export function readAppealValues(form: FormData): AppealValues {
  // The form is shown again with what was sent, and a currency is formatted with: only the shape
  // of a code ("USD"; one we do not take is said on the field), never text Intl refuses (a 500).
  const currency = text(form, 'currency', 3).trim().toUpperCase();
  return {
    title: text(form, 'title', 200).trim(),
    slug: text(form, 'slug', 100).trim().toLowerCase(),
    summary: text(form, 'summary', 400).trim(),
    story: text(form, 'story', 21_000).replace(/\r\n?/g, '\n'),
    beneficiary: text(form, 'beneficiary', 250).trim(),
    language: text(form, 'language', 5),
    currency: /^[A-Z]{3}$/.test(currency) ? currency : '',
    goal: text(form, 'goal', 40).trim(),
    unitName: text(form, 'unitName', 60).trim(),
    unitPrice: text(form, 'unitPrice', 40).trim(),
    deadline: text(form, 'deadline', 10).trim(),
  };
}

/** The form's values for an appeal that exists, amounts written the reader's way. */
export function valuesOf(a: ManagedLike, locale: string): AppealValues {
  return {
    title: a.title,
    slug: a.slug,
    summary: a.summary,
    story: a.storyMarkdown,
    beneficiary: a.beneficiary,
    language: a.language,
    currency: a.currency,
    goal: formatMinorPlain(a.goalMinor, a.currency, locale),
    unitName: a.unit?.name ?? '',
    unitPrice: a.unit ? formatMinorPlain(a.unit.priceMinor, a.currency, locale) : '',
    deadline: a.deadlineAt ? a.deadlineAt.slice(0, 10) : '',
  };
}

type ManagedLike = Pick<ManagedAppeal, 'slug' | 'title' | 'summary' | 'storyMarkdown' | 'beneficiary' | 'language' | 'currency' | 'goalMinor' | 'unit' | 'deadlineAt'>;

function money(typed: string, currency: string, locale: string, field: 'goal' | 'unitPrice', errors: FieldErrors): string | null {
  try {
    const minor = parseAmount(typed, currency, formatLocaleFor(locale));
    if (minor === 0n) {
      errors[field] = m.appeal_error_amount_zero();
      return null;
    }
    if (minor < 0n) throw new MoneyError('money.negative', 'not positive');
    if (minor > appealAmountMaxMinor) {
      errors[field] = m.appeal_error_amount_too_large({ max: formatMinor(appealAmountMaxMinor.toString(), currency, locale) });
      return null;
    }
    return minor.toString();
  } catch (err) {
    if (!(err instanceof MoneyError)) throw err;
    const example = amountExample(currency, locale);
    errors[field] = err.code === 'money.too_many_decimals' ? m.error_amount_decimals({ example }) : m.appeal_error_amount({ example });
    return null;
  }
}

/**
 * Checks what the API would refuse anyway, but with a message in the organizer's language next to
 * the field: amounts typed the local way ("1.300,00" in German) become minor units here.
 */
export function appealBody(v: AppealValues, locale: string): { body: AppealBody | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (v.title.length < 3) errors.title = m.appeal_error_title();
  if (v.beneficiary.length < 2) errors.beneficiary = m.appeal_error_beneficiary();
  if (!isCurrency(v.currency)) errors.currency = m.appeal_error_currency();
  const goalMinor = isCurrency(v.currency) ? money(v.goal, v.currency, locale, 'goal', errors) : null;
  let unit: AppealBody['unit'] = null;
  if (v.unitName || v.unitPrice) {
    if (!v.unitName) errors.unitName = m.appeal_error_unit_name();
    const price = isCurrency(v.currency) ? money(v.unitPrice, v.currency, locale, 'unitPrice', errors) : null;
    if (v.unitName && price) unit = { name: v.unitName, priceMinor: price };
  }
  let deadlineAt: string | null = null;
  if (v.deadline) {
    // The drive closes at the end of the chosen day (UTC).
    const at = /^\d{4}-\d{2}-\d{2}$/.test(v.deadline) ? new Date(`${v.deadline}T23:59:59Z`) : null;
    if (!at || Number.isNaN(at.getTime())) errors.deadline = m.appeal_error_deadline();
    else if (at.getTime() <= Date.now()) errors.deadline = m.appeal_error_deadline_past();
    else deadlineAt = at.toISOString();
  }
  if (Object.keys(errors).length > 0 || !goalMinor) return { body: null, errors };
  return {
    body: { title: v.title, summary: v.summary, storyMarkdown: v.story, beneficiary: v.beneficiary, language: v.language, currency: v.currency, goalMinor, unit, deadlineAt },
    errors,
  };
}

/** The API's refusal as a message beside the field it is about, amounts in the appeal's currency. */
export function appealApiErrors(e: ApiError, terms: { currency: string; locale: string; language?: string }): FieldErrors {
  switch (e.code) {
    case 'appeal.unit_price_not_payable':
      return { unitPrice: m.appeal_error_unit_step({ step: stripeStepShown(terms.currency, terms.locale) }) };
    case 'appeal.unit_above_goal':
      return { unitPrice: m.appeal_error_unit_above_goal() };
    case 'appeal.goal_not_whole_units':
      return { goal: m.appeal_error_goal_whole_units() };
    case 'content.too_deeply_nested':
      return { story: m.content_error_too_deep() };
    case 'appeal.slug_taken':
      return { slug: m.appeal_error_slug_taken() };
    case 'appeal.terms_locked':
      return { form: m.appeal_error_terms_locked() };
    case 'appeal.deadline_past':
      return { deadline: m.appeal_error_deadline_past() };
    case 'appeal.closed':
      return { form: m.appeal_error_closed() };
    case 'appeal.language_translated':
      // The language the form asked for, which the appeal has a translation into.
      return { language: m.appeal_error_language_translated({ language: localeName(terms.language ?? '') }) };
    case 'auth.forbidden':
      return { form: m.error_forbidden() };
    case 'validation_failed': {
      const errors: FieldErrors = {};
      const byPath: Record<string, AppealField> = { '/slug': 'slug', '/title': 'title', '/summary': 'summary', '/storyMarkdown': 'story', '/beneficiary': 'beneficiary', '/language': 'language', '/currency': 'currency', '/goalMinor': 'goal', '/unit/name': 'unitName', '/unit/priceMinor': 'unitPrice' };
      for (const d of e.details ?? []) {
        const field = byPath[d.path ?? ''];
        if (field) errors[field] = field === 'slug' ? m.appeal_error_slug() : m.appeal_error_field();
      }
      return Object.keys(errors).length ? errors : { form: m.appeal_error_field() };
    }
    default:
      return { form: m.error_generic_text() };
  }
}

/** The story as it will look on the appeal page: rendered and sanitized exactly as when saved. */
export function storyPreview(markdown: string): string {
  try {
    return renderMarkdown(markdown.slice(0, 20_000));
  } catch (err) {
    // Nested too deep to show: no preview; saving it says why beside the story.
    if (err instanceof MarkdownTooDeep) return '';
    throw err;
  }
}
