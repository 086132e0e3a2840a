export { TuningDb, DbError, type TuningRecord, type WorkloadInfo } from './db.ts';
export { exportJsonl, importJsonl } from './export.ts';
export { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';
