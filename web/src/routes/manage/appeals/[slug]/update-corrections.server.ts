import { fail, type RequestEvent } from '@sveltejs/kit';
import { isLocale, localeName } from '$lib/locale';
import { m } from '$lib/paraglide/messages';
import { apiSend, refusedStatus } from '$lib/server/api';
import { formText, readForm } from '$lib/server/form-text';
import { isUuidText } from '../../../../../../server/uuid-text';

/*
 * The manage page's corrections of a posted update: the language it is marked with, and the
 * removal of a translation. Both answer in the update's translations panel (?update=<id>), which
 * the page draws again from the API after the action, so it shows the update as it now stands.
 */

const section = 'updateTranslations';
const updatePath = (slug: string, updateId: string, rest: string) => `/api/appeals/${encodeURIComponent(slug)}/updates/${updateId}${rest}`;

/** The language API's refusals, in the organizer's words; any other is "try again". */
function relabelError(code: string, to: string): { error: string; removable?: string; changed?: boolean } {
  // The translation in the way is offered for removal right there, through the usual confirmation.
  if (code === 'appeal.update_language_translated') return { error: m.update_language_error_translated({ language: localeName(to) }), removable: to };
  // `changed`: the page's data is stale, and a form enhanced by JavaScript loads it again (UpdateLanguage.svelte).
  if (code === 'appeal.update_language_changed') return { error: m.update_language_error_changed(), changed: true };
  if (code === 'validation_failed') return { error: m.translation_error_language() };
  return { error: m.error_generic_text() };
}

/** Marks the update with the language chosen, from the one the form showed (`from`): a change meanwhile is said, not undone. */
export async function relabelUpdate({ request, fetch, params }: RequestEvent<{ slug: string }>) {
  const form = await readForm(request);
  const updateId = formText(form, 'updateId', 40);
  const from = formText(form, 'from', 5);
  const to = formText(form, 'to', 5);
  if (!isUuidText(updateId)) return fail(400, { section, error: m.error_generic_text() });
  if (!isLocale(from) || !isLocale(to)) return fail(400, { section, error: m.translation_error_language() });
  const sent = await apiSend(fetch, 'PUT', updatePath(params.slug, updateId, '/language'), { from, to });
  if (!sent.ok) return fail(refusedStatus(sent.status), { section, ...relabelError(sent.error.code, to) });
  return { section, relabeled: to };
}

/** Removes a translation of the update, once its confirmation was answered. One gone already is gone: done. */
export async function untranslateUpdate({ request, fetch, params }: RequestEvent<{ slug: string }>) {
  const form = await readForm(request);
  const updateId = formText(form, 'updateId', 40);
  const language = formText(form, 'language', 5);
  if (!isUuidText(updateId)) return fail(400, { section, error: m.error_generic_text() });
  if (!isLocale(language)) return fail(400, { section, error: m.translation_error_language() });
  const sent = await apiSend(fetch, 'DELETE', updatePath(params.slug, updateId, `/translations/${language}`));
  if (!sent.ok && sent.error.code !== 'appeal.update_translation_not_found') return fail(refusedStatus(sent.status), { section, error: m.error_generic_text() });
  return { section, removed: language };
}
