import { byKind } from './private-api.ts';
import { restoreDb } from './rds-db-instance.ts';
import { restoreBucket } from './s3-bucket.ts';

/** undo-make-cloud-resource-private: puts back exactly what make-cloud-resource-private changed, reporting drift first. */
export const undoMakeCloudResourcePrivate = byKind(
  'undo-make-cloud-resource-private',
  { bucket: restoreBucket, db: restoreDb },
  'make-cloud-resource-private',
);
