import { m } from './paraglide/messages';

export function accountType(type: string): string {
  switch (type) {
    case 'asset':
      return m.account_type_asset();
    case 'liability':
      return m.account_type_liability();
    case 'income':
      return m.account_type_income();
    case 'expense':
      return m.account_type_expense();
    case 'equity':
      return m.account_type_equity();
    default:
      return type;
  }
}
