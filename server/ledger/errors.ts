import { AppError } from '../errors';

export type LedgerErrorCode =
  | 'ledger.idempotency_conflict'
  | 'ledger.unbalanced'
  | 'ledger.too_few_entries'
  | 'ledger.too_many_entries'
  | 'ledger.invalid_key'
  | 'ledger.zero_amount'
  | 'ledger.overdrawn'
  | 'ledger.unknown_account'
  | 'ledger.unknown_transaction'
  | 'ledger.already_reversed'
  | 'ledger.batch_too_large';

/** A posting the ledger refuses; callers see the code, the batch changes nothing. */
export class LedgerError extends AppError {
  constructor(code: LedgerErrorCode, message: string, details?: unknown) {
    super(code === 'ledger.unknown_account' || code === 'ledger.unknown_transaction' ? 404 : 409, code, message, details);
  }
}
