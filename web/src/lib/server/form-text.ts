import { error } from '@sveltejs/kit';
import { hasVisibleText } from '../../../../server/visible-text';

/**
 * The posted form, or a 4xx for a body that is no form we can read: SvelteKit hands an action
 * text/plain (a form's third enctype) and multipart bodies cut short or without a boundary, and
 * `request.formData()` throws a TypeError on those, which would answer 500. A body past the size
 * limit is not one of them: SvelteKit's own 413 passes through.
 */
export async function readForm(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const readable = /^\s*(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(request.headers.get('content-type') ?? '');
    error(readable ? 400 : 415, 'The form could not be read.');
  }
}

/**
 * A text field of a posted form, trimmed, with its line breaks as the API counts them: browsers
 * send a textarea's breaks as CRLF, which would make a ten-line message that fits its box (499
 * characters) too long for the API's 500. `max` cuts a hostile body short before anything reads it.
 */
export function formText(form: FormData, name: string, max = 100_000): string {
  return String(form.get(name) ?? '')
    .slice(0, max)
    .replace(/\r\n?/g, '\n')
    .trim();
}

/**
 * A text field that is only what a reader cannot see (bidi marks, zero-width spaces) is read as
 * empty: to the donor who pasted it, the field looks empty, and the API refuses such text.
 */
export function formTextShown(form: FormData, name: string, max?: number): string {
  const text = formText(form, name, max);
  return hasVisibleText(text) ? text : '';
}

/**
 * An email address as typed, read as the address: full-width characters, as Japanese keyboards
 * often type one (ｈａｎａｋｏ＠example.jp), become the ordinary ones (NFKC). Giving and signing in
 * read it alike, so an address a gift was given under also signs in.
 */
export function typedEmail(form: FormData, name = 'email'): string {
  return formText(form, name, 1_000).normalize('NFKC').slice(0, 254);
}
