import { randomUUID } from 'node:crypto';
import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { APPEAL_CURRENCIES } from '../../../../../../server/ledger/money';
import { apiGetSignedIn, apiSend, pageAfter, refusedStatus, signInPath, type ApiError } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import { appealApiErrors, appealBody, baseValuesSchema, readAppealValues, storyPreview, valuesOf, type AppealBody } from '$lib/server/appeal-form';
import type { AppealUpdateList, DonorPage, ManagedAppeal, ManagedUpdate } from '$lib/types';
import { isLocale, supportedLocales } from '$lib/locale';
import { m } from '$lib/paraglide/messages';
import { formText, readForm } from '$lib/server/form-text';
import { isUuidText } from '../../../../../../server/uuid-text';
import { sayOnce, takeNotice } from '$lib/server/notice';
import { relabelUpdate, untranslateUpdate } from './update-corrections.server';
import { editUpdate } from './update-edit.server';
import { appealTranslationFrom, translationConflict, updateTranslationFrom } from './translation-from.server';

type Update = AppealUpdateList['updates'][number];

/** The appeal's manage page, where its actions' notices are said. */
const pagePath = (slug: string) => `/manage/appeals/${encodeURIComponent(slug)}`;

/** Gifts shown at once; "Older gifts" pages back through the rest with the API's cursor. */
const donorsPerPage = 100;

/** One page of the appeal's gifts, newest first: the page after ?donors=<cursor>, or the newest. */
function loadDonors(fetch: typeof globalThis.fetch, slug: string, url: URL): Promise<DonorPage & { cursor: string | null }> {
  const path = `/api/appeals/${slug}/donors?limit=${donorsPerPage}`;
  // The newest page's refusals (signed out meanwhile, no longer an organizer) are said as always.
  return pageAfter(fetch, path, url.searchParams.get('donors'), () => apiGetSignedIn<DonorPage>(fetch, path, url));
}

/**
 * The posted update whose translations the organizer opened (?update=<id>), with their markdown;
 * null for none, or for an id that names no update of this appeal (an old link shows the page).
 */
async function loadTranslating(fetch: typeof globalThis.fetch, slug: string, updateId: string | null): Promise<ManagedUpdate | null> {
  if (!isUuidText(updateId)) return null;
  const res = await fetch(`/api/appeals/${slug}/updates/${updateId}/manage`, { headers: { accept: 'application/json' } });
  return res.ok ? ((await res.json()) as ManagedUpdate) : null;
}

export const load: PageServerLoad = async ({ fetch, params, url, locals, cookies }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  // Left by the action whose redirect led here (an update posted, the appeal published), said once.
  const notice = takeNotice(cookies, pagePath(params.slug));
  const slug = encodeURIComponent(params.slug);
  const appeal = await apiGetSignedIn<ManagedAppeal>(fetch, `/api/appeals/${slug}/manage`, url);
  const [donors, { updates }, translating] = await Promise.all([
    loadDonors(fetch, slug, url),
    appeal.status === 'draft' ? { updates: [] as Update[] } : apiGetSignedIn<{ updates: Update[] }>(fetch, `/api/appeals/${slug}/updates?limit=100`, url),
    loadTranslating(fetch, slug, url.searchParams.get('update')),
  ]);
  return {
    appeal,
    donors,
    updates,
    values: valuesOf(appeal, locals.locale),
    currencies: [...APPEAL_CURRENCIES],
    locale: locals.locale,
    created: url.searchParams.has('created'),
    confirmClose: url.searchParams.has('close') && appeal.status === 'live',
    // ?publish=1 asks to confirm before a draft goes live, as ?close=1 does before it closes: a link,
    // so it works without JavaScript, and one click cannot make public what cannot be made a draft again.
    confirmPublish: url.searchParams.has('publish') && appeal.status === 'draft',
    // Where the appeal will be public, said in that confirmation.
    publicUrl: `${url.origin}/appeals/${encodeURIComponent(appeal.slug)}`,
    editTranslation: url.searchParams.get('translation'),
    translating,
    editUpdateTranslation: url.searchParams.get('updateTranslation'),
    // The update form's idempotency key, new each time the page is drawn: the same form sent twice
    // (a double click, Back and send again) posts one update; a posted update redirects to a page
    // with a new key for the next.
    updateKey: randomUUID(),
    // How many donors the update just posted was mailed to.
    postedTo: notice?.kind === 'posted' ? notice.emailedTo : null,
    published: notice?.kind === 'published',
    closedNow: notice?.kind === 'closed',
    // ?untranslate=<language> asks to confirm before a translation is removed: a link, so it works
    // without JavaScript, and a misclick costs no translator's work. Only a translation there is.
    removeTranslation: appeal.translations.find((t) => t.language === url.searchParams.get('untranslate'))?.language ?? null,
    // ?untranslateUpdate=<language> does the same for a translation of the update whose panel is open.
    removeUpdateTranslation: translating?.translations.find((t) => t.language === url.searchParams.get('untranslateUpdate'))?.language ?? null,
  };
};

type Comparable = Pick<AppealBody, 'title' | 'summary' | 'storyMarkdown' | 'beneficiary' | 'language' | 'currency' | 'goalMinor' | 'unit' | 'deadlineAt'>;

/** Only what changed goes in the PATCH: the money terms, once locked, may be sent only unchanged. */
function changes(a: Comparable, b: AppealBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (b.title !== a.title) out.title = b.title;
  if (b.summary !== a.summary) out.summary = b.summary;
  if (b.storyMarkdown !== a.storyMarkdown) out.storyMarkdown = b.storyMarkdown;
  if (b.beneficiary !== a.beneficiary) out.beneficiary = b.beneficiary;
  if (b.language !== a.language) out.language = b.language;
  if (b.currency !== a.currency) out.currency = b.currency;
  if (b.goalMinor !== a.goalMinor) out.goalMinor = b.goalMinor;
  if (b.unit?.name !== a.unit?.name || b.unit?.priceMinor !== a.unit?.priceMinor) out.unit = b.unit;
  if ((b.deadlineAt ?? '').slice(0, 10) !== (a.deadlineAt ?? '').slice(0, 10)) out.deadlineAt = b.deadlineAt;
  return out;
}

/** The edit form's `base` field as sent: the saved values it was drawn from, as JSON. */
const sentBase = (form: FormData) => String(form.get('base') ?? '').slice(0, 100_000);

/** The values the edit form was drawn from, as the API reads them; null when absent or not such values. */
function basedOn(sent: string, locale: string): AppealBody | null {
  if (sent === '') return null;
  try {
    const parsed = baseValuesSchema.safeParse(JSON.parse(sent));
    return parsed.success ? appealBody(parsed.data, locale).body : null;
  } catch {
    return null;
  }
}

const stateError = (e: ApiError) =>
  e.code === 'appeal.deadline_past' ? m.manage_error_deadline_passed() : e.code === 'auth.forbidden' ? m.error_forbidden() : e.code.startsWith('appeal.not_') ? m.manage_error_state_changed() : m.error_generic_text();

/** The organizer's words for the translation API's refusals; any other is "try again". */
const translationErrors = new Map<string, () => string>([
  ['appeal.translation_is_original', m.translation_error_original],
  // Closed in another tab, or by its deadline, after this form was drawn.
  ['appeal.closed', m.appeal_error_closed],
  // The appeal's unit was removed (in another tab, say) after this form offered a name for it.
  ['appeal.translation_unit_without_unit', m.manage_error_state_changed],
  ['validation_failed', m.appeal_error_field],
  ['content.too_deeply_nested', m.content_error_too_deep],
]);

const updateErrors = new Map<string, () => string>([
  ['appeal.not_published', m.update_error_draft],
  ['appeal.update_translation_is_original', m.update_translation_error_original],
  ['content.too_deeply_nested', m.content_error_too_deep],
  // This form's key already posted other words (sent again from Back after an edit, say).
  ['appeal.update_idempotency_conflict', m.update_error_already_posted],
]);
const updateError = (code: string) => (updateErrors.get(code) ?? m.error_generic_text)();

/** The update translation API's refusals, in the organizer's words; any other is "try again". */
const updateTranslationErrors = new Map<string, () => string>([
  ['appeal.update_translation_is_original', m.update_translation_error_original],
  ['validation_failed', m.update_translation_error_fields],
  ['content.too_deeply_nested', m.content_error_too_deep],
]);

/** The translations written with an update, one per language, leaving out the ones left empty. */
function updateTranslationsSent(form: FormData) {
  return supportedLocales
    .map((language) => ({ language, title: formText(form, `translation-${language}-title`, 200), body: formText(form, `translation-${language}-body`, 21_000) }))
    .filter((t) => t.title !== '' || t.body !== '');
}

const path = (slug: string, rest = '') => `/api/appeals/${encodeURIComponent(slug)}${rest}`;

export const actions: Actions = {
  preview: async ({ request }) => {
    const form = await readForm(request);
    const values = readAppealValues(form);
    return { section: 'edit', values, errors: {}, previewHtml: storyPreview(values.story), base: sentBase(form) };
  },

  save: async ({ request, fetch, params, locals, url }) => {
    const form = await readForm(request);
    const values = readAppealValues(form);
    const { body, errors } = appealBody(values, locals.locale);
    const previewHtml = storyPreview(values.story);
    // The values the form was drawn from go back with it, so that the next save compares with them too.
    const base = sentBase(form);
    if (!body) return fail(400, { section: 'edit', values, errors, previewHtml, base });
    // What this form changed, against the values it was drawn from: compared with the appeal as
    // stored now, a form opened before another tab's save would send that save's fields back as
    // they were, and undo them while saying "saved". Without what it was drawn from, as before.
    const drawnFrom = basedOn(base, locals.locale);
    const patch = changes(drawnFrom ?? (await apiGetSignedIn<ManagedAppeal>(fetch, path(params.slug, '/manage'), url)), body);
    if (Object.keys(patch).length === 0) return { section: 'edit', saved: true };
    const sent = await apiSend(fetch, 'PATCH', path(params.slug), patch);
    if (!sent.ok) return fail(sent.status === 409 ? 409 : 400, { section: 'edit', values, errors: appealApiErrors(sent.error, { currency: body.currency, locale: locals.locale, language: body.language }), previewHtml, base });
    return { section: 'edit', saved: true };
  },

  publish: async ({ fetch, params, cookies }) => {
    const sent = await apiSend(fetch, 'POST', path(params.slug, '/publish'));
    if (!sent.ok) return fail(409, { section: 'status', error: stateError(sent.error) });
    // Post/Redirect/Get, as the update form: a reload of the page that follows publishes nothing
    // again (it re-posted, and was refused as 'changed meanwhile'), nor says it was published.
    redirect(303, `${sayOnce(cookies, pagePath(params.slug), { kind: 'published' })}#status-title`);
  },

  close: async ({ fetch, params, cookies }) => {
    const sent = await apiSend(fetch, 'POST', path(params.slug, '/close'));
    if (!sent.ok) return fail(409, { section: 'status', error: stateError(sent.error) });
    // Said once, as Publish is: ?closed=1 said it again on every reload, and to whoever got the link.
    redirect(303, `${sayOnce(cookies, pagePath(params.slug), { kind: 'closed' })}#main`);
  },

  cover: async ({ request, fetch, params }) => {
    const file = (await readForm(request)).get('cover');
    if (!(file instanceof File) || file.size === 0) return fail(400, { section: 'cover', error: m.cover_error_missing() });
    if (file.size > 2 * 1024 * 1024) return fail(413, { section: 'cover', error: m.cover_error_size() });
    const sent = await apiSend(fetch, 'PUT', path(params.slug, '/cover'), new Uint8Array(await file.arrayBuffer()), file.type || 'application/octet-stream');
    if (!sent.ok) {
      const error =
        sent.error.code === 'cover.too_large' || sent.status === 413
          ? m.cover_error_size()
          : sent.error.code === 'cover.too_many_pixels'
            ? m.cover_error_pixels()
            : sent.error.code === 'auth.forbidden'
              ? m.error_forbidden()
              : sent.error.code === 'appeal.closed'
                ? m.appeal_error_closed()
                : m.cover_error_type();
      return fail(sent.status >= 400 && sent.status < 500 ? sent.status : 400, { section: 'cover', error });
    }
    return { section: 'cover', saved: true };
  },

  translate: async ({ request, fetch, params }) => {
    const form = await readForm(request);
    const language = formText(form, 'language', 5);
    const values = { language, title: formText(form, 'title', 200), summary: formText(form, 'summary', 400), story: String(form.get('story') ?? '').slice(0, 21_000), unitName: formText(form, 'unitName', 60) };
    // The add form only adds (If-None-Match: *): the edit form replaces the translation it was drawn from.
    const adding = form.get('mode') === 'add';
    const from = adding ? undefined : appealTranslationFrom(form);
    if (!isLocale(language)) return fail(400, { section: 'translations', values, error: m.translation_error_language() });
    if (values.title.length < 3) return fail(400, { section: 'translations', values, from, error: m.appeal_error_title(), field: 'title' });
    // An empty unit name (or none, for an appeal without a unit) is no name: readers get the original.
    const body = { title: values.title, summary: values.summary, storyMarkdown: values.story, unitName: values.unitName || null, ...(from ? { from } : {}) };
    const sent = await apiSend(fetch, 'PUT', path(params.slug, `/translations/${language}`), body, 'application/json', adding ? { 'if-none-match': '*' } : {});
    if (!sent.ok) {
      const conflict = translationConflict(sent.error.code, language);
      if (conflict) return fail(409, { section: 'translations', values, ...conflict });
      const error = (translationErrors.get(sent.error.code) ?? m.error_generic_text)();
      return fail(400, { section: 'translations', values, from, error });
    }
    return { section: 'translations', saved: language };
  },

  untranslate: async ({ request, fetch, params }) => {
    const language = formText(await readForm(request), 'language', 5);
    if (!isLocale(language)) return fail(400, { section: 'translations', error: m.translation_error_language() });
    const sent = await apiSend(fetch, 'DELETE', path(params.slug, `/translations/${language}`));
    if (!sent.ok && sent.status !== 404) return fail(sent.status === 409 ? 409 : 400, { section: 'translations', error: (sent.error.code === 'appeal.closed' ? m.appeal_error_closed : m.error_generic_text)() });
    return { section: 'translations', removed: language };
  },

  update: async ({ request, fetch, params, cookies }) => {
    const form = await readForm(request);
    const translations = updateTranslationsSent(form);
    const values = { title: formText(form, 'title', 200), body: formText(form, 'body', 21_000), language: formText(form, 'language', 5), translations: Object.fromEntries(translations.map(({ language, ...t }) => [language, t])) };
    // A page drawn before updates had languages sends none: the update takes its appeal's, as the API's.
    if (values.language !== '' && !isLocale(values.language)) return fail(400, { section: 'updates', values, error: m.translation_error_language() });
    if (values.title.length < 3 || !values.body) return fail(400, { section: 'updates', values, error: m.update_error_fields(), invalid: { title: values.title.length < 3, body: !values.body } });
    if (translations.some((t) => t.title.length < 3 || !t.body)) return fail(400, { section: 'updates', values, error: m.update_translation_error_fields() });
    if (translations.some((t) => t.language === values.language)) return fail(400, { section: 'updates', values, error: m.update_translation_error_original() });
    // A page drawn before keys has none: it posts as it always did rather than not at all.
    const idempotencyKey = formText(form, 'updateKey', 100) || undefined;
    const body = { title: values.title, bodyMarkdown: values.body, language: values.language || undefined, translations: translations.map((t) => ({ language: t.language, title: t.title, bodyMarkdown: t.body })), idempotencyKey };
    const sent = await apiSend<{ emailedTo: number }>(fetch, 'POST', path(params.slug, '/updates'), body);
    if (!sent.ok) return fail(sent.status === 409 ? 409 : 400, { section: 'updates', values, error: updateError(sent.error.code) });
    // Post/Redirect/Get: a reload of the page that follows sends nothing again, nor says it was posted.
    redirect(303, `${sayOnce(cookies, pagePath(params.slug), { kind: 'posted', emailedTo: sent.body.emailedTo })}#updates`);
  },

  translateUpdate: async ({ request, fetch, params }) => {
    const form = await readForm(request);
    const updateId = formText(form, 'updateId', 40);
    const values = { language: formText(form, 'language', 5), title: formText(form, 'title', 200), body: formText(form, 'body', 21_000) };
    // The add form only adds (If-None-Match: *): the edit form replaces the translation it was drawn from.
    const adding = form.get('mode') === 'add';
    const from = adding ? undefined : updateTranslationFrom(form);
    const refused = (error: string) => fail(400, { section: 'updateTranslations', values, from, error });
    if (!isUuidText(updateId)) return fail(400, { section: 'updateTranslations', values, error: m.error_generic_text() });
    if (!isLocale(values.language)) return refused(m.translation_error_language());
    if (values.title.length < 3 || !values.body) return refused(m.update_translation_error_fields());
    const body = { title: values.title, bodyMarkdown: values.body, ...(from ? { from } : {}) };
    const sent = await apiSend(fetch, 'PUT', path(params.slug, `/updates/${updateId}/translations/${values.language}`), body, 'application/json', adding ? { 'if-none-match': '*' } : {});
    if (!sent.ok) {
      const conflict = translationConflict(sent.error.code, values.language);
      if (conflict) return fail(409, { section: 'updateTranslations', values, ...conflict });
      return fail(refusedStatus(sent.status), { section: 'updateTranslations', values, from, error: (updateTranslationErrors.get(sent.error.code) ?? m.error_generic_text)() });
    }
    return { section: 'updateTranslations', saved: values.language };
  },

  // Written out, not shorthand: the form fuzz (test/e2e/form-fuzz.test.ts) finds actions as `name: async`.
  relabelUpdate: async (event) => relabelUpdate(event),
  untranslateUpdate: async (event) => untranslateUpdate(event),
  editUpdate: async (event) => editUpdate(event),

  moderate: async ({ request, fetch, params }) => {
    const form = await readForm(request);
    const donationId = formText(form, 'donationId', 40);
    // One button a press: a message's (approve, hide) or the donor's name's (off the wall, back on it).
    const messageStatus = formText(form, 'messageStatus', 10);
    const nameHidden = formText(form, 'nameHidden', 5);
    const body = messageStatus === 'approved' || messageStatus === 'hidden' ? { messageStatus } : nameHidden === 'true' || nameHidden === 'false' ? { nameHidden: nameHidden === 'true' } : null;
    if (!isUuidText(donationId) || !body) return fail(400, { section: 'donors', error: m.error_generic_text() });
    const sent = await apiSend(fetch, 'PATCH', path(params.slug, `/wall/${donationId}`), body);
    if (!sent.ok) return fail(400, { section: 'donors', error: m.error_generic_text() });
    return { section: 'donors', moderated: donationId, moderatedName: 'nameHidden' in body };
  },
};
