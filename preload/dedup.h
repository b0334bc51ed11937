/* cowlink dedup: crane's use-symlink install (a cmp and an ln per regular
   file) in one process.  Returns the command's exit status. */
#ifndef COWLINK_DEDUP_H
#define COWLINK_DEDUP_H
int cow_dedup(const char *prev, const char *target);
#endif
