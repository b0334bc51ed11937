/* cowlink inherit: mirror a directory as real directories plus a symlink
   per file.  Returns the command's exit status. */
#ifndef COWLINK_INHERIT_H
#define COWLINK_INHERIT_H
#include <sys/stat.h>
int cow_inherit(const char *src, const char *dest);
/* By identity: st is a store directory; the directory open as fd is one or
   lies inside one (a walk up that cannot finish answers yes).  dedup's
   writes obey the same rule. */
int cow_is_store_dir(const struct stat *st);
int cow_in_a_store(int fd);
#endif
