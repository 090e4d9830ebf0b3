import { m } from './paraglide/messages';

/** A role's name in the reader's language. */
export function roleName(role: string): string {
  switch (role) {
    case 'member':
      return m.role_member();
    case 'organizer':
      return m.role_organizer();
    case 'treasurer':
      return m.role_treasurer();
    case 'admin':
      return m.role_admin();
    default:
      return role;
  }
}
