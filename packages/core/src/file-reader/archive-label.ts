/**
 * Static JSON field of an archive file, `{"generation":n,"folded":[keys]}`: which fold wrote it and
 * which files that fold took in (docs/file-format.md#the-archive). Its presence marks an archive.
 */
export const ARCHIVE_LABEL = 'mmstats.archive';
