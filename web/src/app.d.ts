declare global {
  namespace App {
    interface Error {
      code?: string;
    }
    interface Locals {
      locale: import('$lib/locale').Locale;
      /** The locale numbers, amounts and dates are written in: `locale` in the reader's region (es-MX), or `locale` itself. */
      formatLocale: string;
      /** The reader's IANA time zone, from the browser's cookie; UTC until it has said. */
      timeZone: string;
      /** Whether the browser has said its zone (else `timeZone` is UTC by default, not the reader's). */
      timeZoneSaid: boolean;
      /** The signed-in person (from GET /api/me), or null. */
      user: import('$lib/server/me').Me['user'] | null;
      memberships: import('$lib/server/me').Membership[];
      /**
       * Set when GET /api/me got no answer or failed, so no one knows whether the person is signed in:
       * the status (502 or 503) a page that needs a signed-in person answers with (see needsSignIn).
       */
      sessionUnknown: 502 | 503 | null;
    }
  }
}

export {};
