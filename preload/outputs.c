/* The build's own outputs, from Nix's environment, when COWLINK_OUTPUTS
 * does not name them (a derivation that does not use the setup hook).
 *
 * Nix gives a builder its outputs in one of two forms:
 *  - plain: `outputs` lists the names ("out dev"; unset means "out"),
 *    and each name is a variable holding the output's store path;
 *  - structured attributes (__structuredAttrs): only NIX_ATTRS_JSON_FILE
 *    and NIX_ATTRS_SH_FILE are exported; the JSON file's top-level
 *    "outputs" object maps each name to its path.
 * The JSON is read by a small parser for that one object; anything it
 * cannot read leaves the outputs unknown, and then the whole store is
 * protected (config.c): never a guess.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cowlink.h"
#include "sys.h"

typedef void add_fn(const char *path, size_t len);

/* The plain form: each name of $outputs (default: out) whose variable is
   set.  A name without its variable is left out: its output is then
   protected like any store path. */
static int plain(add_fn *add)
{
    const char *list = getenv("outputs"), *p;
    char name[256];
    size_t len;
    int found = 0;

    if (!list)
        list = "out";
    for (p = list;; p += len) {
        p += strspn(p, " \t\n");
        len = strcspn(p, " \t\n");
        if (!len)
            break;
        if (len >= sizeof name)
            continue;
        memcpy(name, p, len);
        name[len] = 0;
        const char *path = getenv(name);
        if (path && path[0] == '/') {
            add(path, strlen(path));
            found++;
        }
    }
    return found;
}

struct json {
    const char *p, *end;
};

static void blank(struct json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int eat(struct json *j, char c)
{
    blank(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 1;
    }
    return 0;
}

/* A string: its raw text (between the quotes) in *s and *len.  Store
   paths and output names need no escapes: a string with any is read, but
   not usable (*len = 0 and *s = NULL), which its user takes for a
   failure where it matters. */
static int string(struct json *j, const char **s, size_t *len)
{
    const char *start;
    int escaped = 0;

    if (!eat(j, '"'))
        return -1;
    for (start = j->p; j->p < j->end && *j->p != '"'; j->p++) {
        if ((unsigned char)*j->p < 0x20)
            return -1;
        if (*j->p == '\\') {
            escaped = 1;
            if (++j->p == j->end)
                return -1;
        }
    }
    if (j->p == j->end)
        return -1;
    *s = escaped ? NULL : start;
    *len = escaped ? 0 : (size_t)(j->p - start);
    j->p++;
    return 0;
}

/* Any value, skipped (nesting bounded). */
static int skip(struct json *j, int depth)
{
    const char *s;
    size_t len;

    blank(j);
    if (j->p == j->end || depth > 64)
        return -1;
    if (*j->p == '"')
        return string(j, &s, &len);
    if (*j->p == '{' || *j->p == '[') {
        char close = *j->p == '{' ? '}' : ']';
        j->p++;
        if (eat(j, close))
            return 0;
        do {
            if (close == '}' && (string(j, &s, &len) < 0 || !eat(j, ':')))
                return -1;
            if (skip(j, depth + 1) < 0)
                return -1;
        } while (eat(j, ','));
        return eat(j, close) ? 0 : -1;
    }
    /* numbers, true, false, null */
    const char *start = j->p;
    while (j->p < j->end && strchr("+-.0123456789eEtrufalsn", *j->p))
        j->p++;
    return j->p > start ? 0 : -1;
}

/* The "outputs" object: name -> absolute path, each given to add (NULL:
   only checked).  Returns the number of outputs, or -1. */
static int outputs_object(struct json *j, add_fn *add)
{
    const char *name, *path;
    size_t name_len, path_len;
    int n = 0;

    if (!eat(j, '{'))
        return -1;
    if (eat(j, '}'))
        return 0;
    do {
        if (string(j, &name, &name_len) < 0 || !name || !eat(j, ':') ||
            string(j, &path, &path_len) < 0 || !path || path_len == 0 ||
            path_len >= PATH_MAX || path[0] != '/')
            return -1;
        if (add)
            add(path, path_len);
        n++;
    } while (eat(j, ','));
    return eat(j, '}') ? n : -1;
}

/* The top-level object's "outputs".  -1 if absent or unreadable. */
static int attrs(const char *text, size_t size, add_fn *add)
{
    struct json j = {text, text + size};
    const char *key;
    size_t len;
    int found = -1;

    if (!eat(&j, '{'))
        return -1;
    if (eat(&j, '}'))
        return -1;
    do {
        if (string(&j, &key, &len) < 0 || !eat(&j, ':'))
            return -1;
        if (key && len == 7 && !memcmp(key, "outputs", 7)) {
            if (found >= 0 || (found = outputs_object(&j, add)) < 0)
                return -1; /* twice, or unreadable */
        } else if (skip(&j, 0) < 0) {
            return -1;
        }
    } while (eat(&j, ','));
    if (!eat(&j, '}'))
        return -1;
    blank(&j);
    return j.p == j.end ? found : -1;
}

/* The structured form: the file read whole (mapped), checked, then read
   again to add the outputs, so that a file it cannot read adds none. */
static int structured(const char *file, add_fn *add)
{
    struct stat st;
    int fd = sys_openat(AT_FDCWD, file, O_RDONLY | O_CLOEXEC, 0), n = -1;
    void *text;

    if (fd < 0)
        return -1;
    if (sys_fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        text = (void *)syscall(SYS_mmap, NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (text != MAP_FAILED) {
            if (attrs(text, (size_t)st.st_size, NULL) > 0)
                n = attrs(text, (size_t)st.st_size, add);
            syscall(SYS_munmap, text, (size_t)st.st_size);
        }
    }
    sys_close(fd);
    return n;
}

/* Give each output Nix's environment names to add.  Returns where they
   came from, or NULL when none is known (the whole store is then
   protected). */
const char *cow_outputs_from_nix(add_fn *add)
{
    const char *json = getenv("NIX_ATTRS_JSON_FILE");

    if (json && *json)
        return structured(json, add) > 0 ? "NIX_ATTRS_JSON_FILE" : NULL;
    if (getenv("NIX_ATTRS_SH_FILE"))
        return NULL; /* structured, without the JSON: not read */
    return plain(add) > 0 ? "Nix's $outputs" : NULL;
}
