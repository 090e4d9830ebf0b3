/**
 * A text field of a posted form, trimmed, with its line breaks as the API counts them: browsers
 * send a textarea's breaks as CRLF, so a 499-character message of ten lines arrived as 508 and was
 * refused by the API's 500-character limit, though the textarea had let it through. `max` cuts a
 * hostile body short before anything else reads it.
 */
export function formText(form: FormData, name: string, max = 100_000): string {
  return String(form.get(name) ?? '')
    .slice(0, max)
    .replace(/\r\n?/g, '\n')
    .trim();
}
