import { z } from 'zod';
import { m } from '$lib/paraglide/messages';

/*
 * A translation's edit form (the appeal's, an update's) carries the translation it was drawn from
 * (`from`, as JSON: a hidden field's line breaks would come back as CRLF and no longer match what
 * is stored), and the API refuses the edit if the translation says otherwise by now, as it does an
 * update's correction (update-edit.server.ts): two organizers do not silently overwrite each other.
 */

const appealFromSchema = z.strictObject({ title: z.string().max(140), summary: z.string().max(300), storyMarkdown: z.string().max(20_000), unitName: z.string().max(40).nullable() });
const updateFromSchema = z.strictObject({ title: z.string().max(140), bodyMarkdown: z.string().max(20_000) });

function sentFrom<T>(schema: z.ZodType<T>, form: FormData): T | undefined {
  const sent = String(form.get('from') ?? '').slice(0, 100_000);
  if (sent === '') return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(sent));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The appeal translation an edit form was drawn from; undefined for a page drawn before forms carried it. */
export const appealTranslationFrom = (form: FormData) => sentFrom(appealFromSchema, form);
/** The same for an update's translation. */
export const updateTranslationFrom = (form: FormData) => sentFrom(updateFromSchema, form);

/**
 * A refusal because the translation changed, was removed or was added by someone else meanwhile,
 * in the organizer's words; null for any other. `changed` has the page's data loaded again
 * (reloadIfChanged), so the form is drawn from the translation as it stands: the one saved meanwhile
 * (`editing`, its edit form, shown beside the organizer's text), or none (the add form).
 */
export function translationConflict(code: string, language: string): { error: string; changed: true; editing?: string } | null {
  switch (code) {
    case 'appeal.translation_changed':
    case 'appeal.update_translation_changed':
      return { error: m.translation_error_changed(), changed: true, editing: language };
    case 'appeal.translation_exists':
    case 'appeal.update_translation_exists':
      return { error: m.translation_error_exists(), changed: true, editing: language };
    case 'appeal.translation_removed':
    case 'appeal.update_translation_removed':
      return { error: m.translation_error_removed(), changed: true };
    default:
      return null;
  }
}
