// The ledger's public face: every other domain moves money only through these functions.
export { post, stagePostings, postBatchSizeMax, contentHash, type StagedPostings } from './post';
export { reverse } from './reverse';
export { statement, statementPageMax, type StatementLine } from './statement';
export { balance, openAccount, openAccounts, findAccount } from './accounts';
export { verifyLedger, type VerifyReport } from './verify';
export { LedgerError } from './errors';
export type { AccountSpec, AccountType, EntryInput, PostingInput, PostingResult } from './types';
