/* cowlink inherit: mirror a directory as real directories plus a symlink
   per file.  Returns the command's exit status. */
#ifndef COWLINK_INHERIT_H
#define COWLINK_INHERIT_H
int cow_inherit(const char *src, const char *dest);
#endif
