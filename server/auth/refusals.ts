import { errorBody, type ErrorBody } from '../errors';

/**
 * better-auth answers its refusals as `{ message, code }` (its rate limit as `{ message }` alone);
 * every other route of the API as `{ error: { code, message, details? } }`. The sign-in endpoints'
 * 4xx answers are said in ours, with the same status, so a client reads one shape.
 *
 * The mapping, for the endpoints offered (POST /sign-in/magic-link, GET /magic-link/verify,
 * POST /sign-out), better-auth 1.7:
 *
 * | status | better-auth's code                  | ours                                 |
 * |--------|-------------------------------------|--------------------------------------|
 * | 403    | MISSING_OR_NULL_ORIGIN              | auth.missing_origin                  |
 * | 403    | INVALID_ORIGIN                      | auth.invalid_origin                  |
 * | 403    | CROSS_SITE_NAVIGATION_LOGIN_BLOCKED | auth.cross_site_navigation           |
 * | 403    | INVALID_CALLBACK_URL                | auth.invalid_callback_url            |
 * | 403    | INVALID_ERROR_CALLBACK_URL          | auth.invalid_error_callback_url      |
 * | 403    | INVALID_NEW_USER_CALLBACK_URL       | auth.invalid_new_user_callback_url   |
 * | 403    | INVALID_REDIRECT_URL                | auth.invalid_redirect_url            |
 * | 400    | VALIDATION_ERROR (a bad email, no token) | validation_failed, with details |
 * | 400    | BAD_REQUEST (a body that is not JSON) | malformed_json                     |
 * | 415    | UNSUPPORTED_MEDIA_TYPE (a form post)| unsupported_media_type               |
 * | 429    | (none: its per-client limit)        | rate_limited, Retry-After set        |
 * | 4xx    | INVALID_TOKEN, TOKEN_EXPIRED, INVALID_EMAIL | auth.invalid_token, auth.token_expired, auth.invalid_email |
 * | 4xx    | any other code                      | auth.<its code, lowercased>          |
 * | 4xx    | no code                             | by status (bad_request, not_found, …), else auth.refused |
 *
 * Codes the rest of the API already uses for the same refusal (validation_failed, malformed_json,
 * unsupported_media_type, rate_limited: the per-address limit on this same endpoint answers it)
 * are kept, so a client needs no second code for them. A token that is spent or unknown when a
 * link is followed is not a JSON answer: better-auth redirects to the errorCallbackURL with
 * `?error=INVALID_TOKEN`, and that redirect is passed on untouched.
 */
const ourRefusals: Record<string, { code: string; message: string }> = {
  MISSING_OR_NULL_ORIGIN: {
    code: 'auth.missing_origin',
    message: 'This request did not say which page it was sent from (no Origin header), which a request carrying cookies must; it was refused.',
  },
  INVALID_ORIGIN: { code: 'auth.invalid_origin', message: 'This request came from a page that is not ours and was refused.' },
  CROSS_SITE_NAVIGATION_LOGIN_BLOCKED: { code: 'auth.cross_site_navigation', message: 'A sign-in sent from another site’s page was refused.' },
  INVALID_CALLBACK_URL: { code: 'auth.invalid_callback_url', message: 'callbackURL is not a path or an address of this site.' },
  INVALID_ERROR_CALLBACK_URL: { code: 'auth.invalid_error_callback_url', message: 'errorCallbackURL is not a path or an address of this site.' },
  INVALID_NEW_USER_CALLBACK_URL: { code: 'auth.invalid_new_user_callback_url', message: 'newUserCallbackURL is not a path or an address of this site.' },
  INVALID_REDIRECT_URL: { code: 'auth.invalid_redirect_url', message: 'redirectTo is not a path or an address of this site.' },
  INVALID_TOKEN: { code: 'auth.invalid_token', message: 'This sign-in link is not valid, or was used already; ask for a new one.' },
  TOKEN_EXPIRED: { code: 'auth.token_expired', message: 'This sign-in link has expired; ask for a new one.' },
  INVALID_EMAIL: { code: 'auth.invalid_email', message: 'This is not an email address.' },
  VALIDATION_ERROR: { code: 'validation_failed', message: 'The request is not valid.' },
  BAD_REQUEST: { code: 'malformed_json', message: 'The request body is not valid JSON.' },
  UNSUPPORTED_MEDIA_TYPE: { code: 'unsupported_media_type', message: 'The request body must be JSON (Content-Type: application/json).' },
};

/** A refusal that came with no code, by its status. */
const byStatus: Record<number, { code: string; message: string }> = {
  400: { code: 'bad_request', message: 'The request is not valid.' },
  401: { code: 'auth.required', message: 'Sign in first.' },
  404: { code: 'not_found', message: 'There is no such sign-in endpoint.' },
  415: ourRefusals.UNSUPPORTED_MEDIA_TYPE!,
  429: { code: 'rate_limited', message: 'Too many sign-in requests from this client lately; try again shortly.' },
};

const refusedMessage = 'The sign-in service refused this request.';

/**
 * Our error body for better-auth's 4xx answer `text` (its JSON, as it sent it). Its own message is
 * English too, but reads like a developer's note ("Missing or null Origin"), so a known refusal
 * gets ours; an unknown one keeps its code (lowercased, under auth.) with our generic message, not
 * its own: a later better-auth could quote the request's input (an address) in it.
 */
export function ourAuthRefusal(status: number, text: string): ErrorBody {
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (an empty answer): said by its status.
  }
  const { code, message } = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown };
  const theirs = typeof code === 'string' && /^[A-Za-z0-9_]{1,100}$/.test(code) ? code.toUpperCase() : null;
  const known = theirs ? ourRefusals[theirs] : undefined;
  if (theirs === 'VALIDATION_ERROR') return errorBody(known!.code, known!.message, validationDetails(typeof message === 'string' ? message : ''));
  if (known) return errorBody(known.code, known.message);
  if (theirs) return errorBody(`auth.${theirs.toLowerCase()}`, refusedMessage);
  const fallback = byStatus[status] ?? { code: 'auth.refused', message: refusedMessage };
  return errorBody(fallback.code, fallback.message);
}

/**
 * better-call's validation message, "[body.email] Invalid email address; [query.token] …", as our
 * details (`{ path, message }` with a JSON-pointer path, as our other routes give them).
 */
function validationDetails(message: string): { path: string; message: string }[] {
  const details = [...message.matchAll(/\[(?:body|query)(?:\.([^\]]*))?\] ([^;]*)/g)].map(([, path, text]) => ({
    path: `/${(path ?? '').split('.').filter(Boolean).join('/')}`,
    message: text!.trim(),
  }));
  return details.length > 0 ? details : [{ path: '/', message: 'is not valid' }];
}
