export * from './orgs';
export * from './appeals';
export * from './funds';
export * from './ledger';
export * from './payments';
