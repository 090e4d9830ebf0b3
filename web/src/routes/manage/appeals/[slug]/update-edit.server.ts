import { fail, type RequestEvent } from '@sveltejs/kit';
import { z } from 'zod';
import { m } from '$lib/paraglide/messages';
import { apiSend, refusedStatus } from '$lib/server/api';
import { formText, readForm } from '$lib/server/form-text';
import { isUuidText } from '../../../../../../server/uuid-text';

/*
 * The manage page's correction of a posted update's title and text. The form carries the text it
 * was drawn from (`base`, as JSON: a hidden field's line breaks would come back as CRLF and no
 * longer match what is stored), and the API refuses the correction if the update says otherwise
 * by now: two organizers correcting one update do not silently overwrite each other.
 */

export const updateEditSection = 'updateEdit';
const section = updateEditSection;

/** The text the form was drawn from, exactly as the API answered it. */
const baseSchema = z.strictObject({ title: z.string().max(140), bodyMarkdown: z.string().max(20_000) });
export type UpdateEditBase = z.infer<typeof baseSchema>;

function sentBase(form: FormData): UpdateEditBase | null {
  try {
    const parsed = baseSchema.safeParse(JSON.parse(String(form.get('base') ?? '').slice(0, 100_000)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The API's refusals, on the field they are about where there is one; any other is "try again". */
function refusal(code: string): { error?: string; errors?: { title?: string; body?: string }; changed?: boolean } {
  if (code === 'appeal.update_text_changed') return { error: m.update_edit_error_changed(), changed: true };
  if (code === 'content.too_deeply_nested') return { errors: { body: m.content_error_too_deep() } };
  if (code === 'validation_failed') return { error: m.appeal_error_field() };
  return { error: m.error_generic_text() };
}

export async function editUpdate({ request, fetch, params }: RequestEvent<{ slug: string }>) {
  const form = await readForm(request);
  const updateId = formText(form, 'updateId', 40);
  const values = { title: formText(form, 'title', 200), body: formText(form, 'body', 21_000) };
  const base = sentBase(form);
  if (!isUuidText(updateId) || !base) return fail(400, { section, values, error: m.error_generic_text() });
  const errors = { title: values.title.length < 3 ? m.appeal_error_title() : undefined, body: values.body ? undefined : m.update_edit_error_body() };
  if (errors.title || errors.body) return fail(400, { section, values, base, errors });
  const path = `/api/appeals/${encodeURIComponent(params.slug)}/updates/${updateId}/text`;
  const sent = await apiSend(fetch, 'PUT', path, { from: base, to: { title: values.title, bodyMarkdown: values.body } });
  // After a conflict the form is drawn from the text saved now (no `base` sent back): saved again, it
  // replaces that text knowingly, as the organizer has it in front of her.
  if (!sent.ok) return fail(refusedStatus(sent.status), { section, values, ...(sent.error.code === 'appeal.update_text_changed' ? {} : { base }), ...refusal(sent.error.code) });
  return { section, edited: true };
}
