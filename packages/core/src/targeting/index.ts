export * from './compile';
export * from './context';
export * from './evaluate';
export * from './operators';
export * from './resolution';
export * from './schemas';
export * from './split';
export * from './validate';
