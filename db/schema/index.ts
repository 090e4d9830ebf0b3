export * from './auth';
export * from './access';
export * from './orgs';
export * from './appeals';
export * from './funds';
export * from './ledger';
export * from './payments';
export * from './campaigns';
