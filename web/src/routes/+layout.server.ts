import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => ({
  locale: locals.locale,
  formatLocale: locals.formatLocale,
  timeZone: locals.timeZone,
  // Until the browser says its zone, dates name the one they are in (UTC), and a donor's own
  // gifts are dated in the zone they gave from.
  readerZoneSaid: locals.timeZoneSaid,
  user: locals.user ? { name: locals.user.name, email: locals.user.email } : null,
  // Which of their pages to link in the header; each page checks the role again through the API.
  canManage: locals.memberships.some((m) => m.role === 'organizer' || m.role === 'admin'),
  canTreasure: locals.memberships.some((m) => m.role === 'treasurer'),
});
