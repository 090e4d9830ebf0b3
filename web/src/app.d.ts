declare global {
  namespace App {
    interface Error {
      code?: string;
    }
    interface Locals {
      locale: import('$lib/locale').Locale;
      /** The reader's IANA time zone, from the browser's cookie; UTC until it has said. */
      timeZone: string;
      /** The signed-in person (from GET /api/me), or null. */
      user: import('$lib/server/me').Me['user'] | null;
      memberships: import('$lib/server/me').Membership[];
    }
  }
}

export {};
