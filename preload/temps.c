/* The mkstemp family, made on the placed name.
 *
 * glibc creates a temporary file with an open of its own, which cowlink
 * does not see, by the template's path: a directory swapped for a link
 * into the store between cowlink's check and that open would redirect it.
 * So cowlink makes the name itself, as glibc does (the same template
 * rules, six random letters and digits, an exclusive create, new letters
 * on EEXIST), on the directory it placed the template's last component in
 * (place.c), with raw system calls.
 */
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <linux/random.h>

#include "cowlink.h"
#include "sys.h"

#define XS 6                    /* the X's a template ends in, before its suffix */
#define ATTEMPTS (62 * 62 * 62) /* glibc's bound on tries; then EEXIST */
#define SPAN 56800235584ULL     /* 62^6: the names one draw can give */

static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/* Where the X's of tmpl start, as glibc checks a template: NULL (EINVAL)
   for a negative suffix length, or when the XS characters before the
   suffix are not all X's.  And one rule of cowlink's: X's in the
   template's directory part (a suffix with a '/') would name a new
   directory at each try, which cannot be placed once: EINVAL too. */
char *cow_temp_xs(char *tmpl, int suffixlen)
{
    size_t len = strlen(tmpl);

    if (suffixlen < 0 || len < XS + (size_t)suffixlen)
        return NULL;
    tmpl += len - (size_t)suffixlen - XS;
    return strspn(tmpl, "X") < XS || strchr(tmpl, '/') ? NULL : tmpl;
}

/* The clock, the last value and a stack address, mixed (splitmix64's
   finisher): names still differ where the kernel refuses getrandom (old
   kernels, seccomp profiles). */
static unsigned long long clock_mix(unsigned long long last)
{
    struct timespec ts = {0, 0};
    unsigned long long v;

    sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    v = last ^ ((unsigned long long)ts.tv_sec << 30) ^ (unsigned long long)ts.tv_nsec ^
        (unsigned long long)(uintptr_t)&ts;
    v += 0x9e3779b97f4a7c15ULL;
    v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
    v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
    return v ^ (v >> 31);
}

/* XS letters and digits into x.  A draw past the last whole multiple of
   62^6 is drawn again, so that no name is likelier than another.
   GRND_NONBLOCK: early at boot the kernel's pool may not be ready, and a
   temporary name is no reason to wait for it. */
static void fill(char *x, unsigned long long *v)
{
    const unsigned long long fair = ~0ULL - ~0ULL % SPAN;

    do {
        if (sys_getrandom(v, sizeof *v, GRND_NONBLOCK) != sizeof *v)
            *v = clock_mix(*v);
    } while (*v >= fair);
    for (unsigned long long r = *v, i = 0; i < XS; i++, r /= 62)
        x[i] = letters[r % 62];
}

/* Make name, whose X's are at x, with create on dir: new letters at each
   EEXIST, ATTEMPTS times at most.  What create returned (a descriptor, or
   0), with the caller's errno; or -1 with create's. */
int cow_temp_make(int dir, char *name, char *x, int flags, cow_temp_create create)
{
    unsigned long long v = 0;
    int saved = errno, r;

    for (int i = 0; i < ATTEMPTS; i++) {
        fill(x, &v);
        r = create(dir, name, flags);
        if (r >= 0) {
            errno = saved;
            return r;
        }
        if (errno != EEXIST)
            return -1;
    }
    return -1; /* EEXIST */
}

/* mkstemp's create: read and write, the caller's other flags (mkostemp:
   O_APPEND, O_CLOEXEC, O_SYNC...) passed on as glibc passes them. */
int cow_temp_file(int dir, const char *name, int flags)
{
    return sys_openat(dir, name, (flags & ~O_ACCMODE) | O_RDWR | O_CREAT | O_EXCL, 0600);
}

/* mkdtemp's. */
int cow_temp_dir(int dir, const char *name, int flags)
{
    (void)flags;
    return sys_mkdirat(dir, name, 0700);
}

/* A call of the family: the template checked, its last component placed
   as a new name (below a link to a store directory, or in the store, it
   is refused), the name made there, and its letters written back into
   the caller's template, where the caller reads the name. */
int cow_mktemp(const char *op, char *tmpl, int suffixlen, int flags, cow_temp_create create)
{
    struct cow_place at;
    char *x = cow_temp_xs(tmpl, suffixlen), *name, *in_name;
    int err, r;

    if (!x)
        return errno = EINVAL, -1;
    err = cow_before_write_at(op, AT_FDCWD, tmpl, COW_NAME | COW_AT, 0, &at);
    if (err)
        return errno = err, -1;
    /* cowlink's copy of the last component, beside its descriptor of the
       directory; or, where it opened none, the caller's template itself
       on the caller's directory (AT_FDCWD).  Both end as tmpl does. */
    name = at.own ? at.name_buf : tmpl;
    in_name = name + strlen(name) - strlen(x);
    r = cow_temp_make(at.dir, name, in_name, flags, create);
    if (in_name != x)
        memcpy(x, in_name, XS);
    cow_place_release(&at);
    return r;
}
