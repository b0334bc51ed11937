/* The environment passed to a child (children.c): the library first in
 * LD_PRELOAD and this process's COWLINK_* settings, added to whatever list
 * the child is given, unless it turns cowlink off (COWLINK=0); what the
 * list sets itself is kept; nothing changes when nothing is missing. */
#include "fixture.h"

static int count(char *const *env, const char *prefix)
{
    int n = 0;

    for (; *env; env++)
        n += strncmp(*env, prefix, strlen(prefix)) == 0;
    return n;
}

static const char *value(char *const *env, const char *name)
{
    size_t len = strlen(name);

    for (; *env; env++)
        if (!strncmp(*env, name, len) && (*env)[len] == '=')
            return *env + len + 1;
    return NULL;
}

/* What an empty list gets: this library's entry, and the store. */
static char self[PATH_MAX];

static void empty_list_gets_everything(void **state)
{
    static char *const empty[] = {NULL};
    struct cow_env e;
    char *const *out;
    char store[PATH_MAX];
    (void)state;
    out = cow_child_env(empty, &e);
    assert_non_null(out);
    assert_int_equal(count(out, "LD_PRELOAD="), 1);
    strcpy(self, value(out, "LD_PRELOAD"));
    assert_true(self[0] == '/');
    snprintf(store, sizeof store, "%s", at("store"));
    assert_string_equal(value(out, "COWLINK_STORE"), store);
    cow_child_env_done(&e);
    out = cow_child_env(NULL, &e); /* the kernel's empty list */
    assert_string_equal(value(out, "LD_PRELOAD"), self);
    cow_child_env_done(&e);
}

static void library_goes_first(void **state)
{
    char *env[] = {"A=1", "LD_PRELOAD=/old.so", "B=2", "LD_PRELOAD=/a.so /b.so", NULL};
    char want[PATH_MAX + 32];
    struct cow_env e;
    char *const *out;
    (void)state;
    out = cow_child_env(env, &e);
    assert_int_equal(count(out, "LD_PRELOAD="), 1); /* the loader takes the last */
    snprintf(want, sizeof want, "%s:/a.so /b.so", self);
    assert_string_equal(value(out, "LD_PRELOAD"), want);
    assert_string_equal(value(out, "A"), "1");
    assert_string_equal(value(out, "B"), "2");
    cow_child_env_done(&e);
}

static void nothing_missing_nothing_changed(void **state)
{
    char preload[PATH_MAX + 32], *env[] = {preload, "COWLINK_STORE=/other", NULL};
    struct cow_env e;
    (void)state;
    snprintf(preload, sizeof preload, "LD_PRELOAD=/x.so:%s", self);
    assert_ptr_equal(cow_child_env(env, &e), env);
    cow_child_env_done(&e);
}

static void turned_off_on_purpose(void **state)
{
    char *off[] = {"COWLINK=0", "COWLINK=1", NULL}, *on[] = {"COWLINK=1", "COWLINK=0", NULL};
    struct cow_env e;
    (void)state;
    assert_ptr_equal(cow_child_env(off, &e), off);
    cow_child_env_done(&e);
    assert_string_equal(value(cow_child_env(on, &e), "LD_PRELOAD"), self); /* getenv's first */
    cow_child_env_done(&e);
}

/* An entry naming the library by lib/cowlink/$PLATFORM/ (the Nix hook's)
   is the library the loader made of it: one whole component stands for
   the token, nothing else. */
static void platform_token(void **state)
{
    const char *lib = "/s/lib/cowlink/x86_64/libcowlink.so";
#define NAMES(entry) cow_preload_names(entry, strlen(entry), lib)
    (void)state;
    assert_true(NAMES("/s/lib/cowlink/$PLATFORM/libcowlink.so"));
    assert_true(NAMES("/s/lib/cowlink/${PLATFORM}/libcowlink.so"));
    assert_true(NAMES(lib));
    assert_true(cow_preload_names("/s/lib/cowlink/$PLATFORM/libcowlink.so:x", 38, lib));
    assert_false(NAMES("/s/lib/$PLATFORM/libcowlink.so"));    /* two components */
    assert_false(NAMES("/s/lib/cowlink/x86_64$PLATFORM/libcowlink.so"));
    assert_false(NAMES("/s/lib/cowlink/$LIB/libcowlink.so")); /* not the token */
    assert_true(cow_preload_names("/s/a$b.so", 9, "/s/a$b.so"));   /* a '$' of its own */
    assert_false(NAMES("/s/lib/cowlink/$PLATFORM/$PLATFORM"));
    assert_false(NAMES("/s/lib/cowlink/$PLATFORM"));          /* truncated */
    assert_false(NAMES("/s/lib/cowlink/$PLATFORM/other.so"));
    assert_false(cow_preload_names("/s/lib/cowlink/$PLAT", 20, lib));
    assert_false(cow_preload_names("/s/lib/cowlink/$PLATFORM/libcowlink.so", 38,
                                   "/s/lib/cowlink//libcowlink.so")); /* empty */
#undef NAMES
}

/* More than the caller's frame holds: a mapping, given back after. */
static void long_lists(void **state)
{
    static char names[3000][24];
    static char *env[3001];
    struct cow_env e;
    char *const *out;
    (void)state;
    for (int i = 0; i < 3000; i++) {
        snprintf(names[i], sizeof names[i], "V%d=x", i);
        env[i] = names[i];
    }
    out = cow_child_env(env, &e);
    assert_non_null(e.map);
    assert_int_equal(count(out, "V"), 3000);
    assert_string_equal(value(out, "LD_PRELOAD"), self);
    cow_child_env_done(&e);
    assert_null(e.map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_list_gets_everything),
        cmocka_unit_test(library_goes_first),
        cmocka_unit_test(nothing_missing_nothing_changed),
        cmocka_unit_test(turned_off_on_purpose),
        cmocka_unit_test(long_lists),
        cmocka_unit_test(platform_token),
    };
    int failed;

    fixture_init();
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    fixture_free();
    return failed;
}
