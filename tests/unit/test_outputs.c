/* The build's outputs from Nix's environment (outputs.c): the plain form
 * ($outputs and each output's variable) and the structured one (the
 * "outputs" object of NIX_ATTRS_JSON_FILE); anything unreadable gives no
 * output at all, never a part of them. */
#include "fixture.h"

static char got[8][PATH_MAX];
static int ngot;

static void collect(const char *path, size_t len)
{
    if (ngot < 8 && len < PATH_MAX) {
        memcpy(got[ngot], path, len);
        got[ngot++][len] = 0;
    }
}

static void clear_env(void)
{
    static const char *const vars[] = {"outputs", "out", "dev", "bin", "NIX_ATTRS_JSON_FILE",
                                       "NIX_ATTRS_SH_FILE"};

    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
    ngot = 0;
}

static const char *from(void)
{
    ngot = 0;
    return cow_outputs_from_nix(collect);
}

/* NIX_ATTRS_JSON_FILE holding text. */
static void attrs_json(const char *text)
{
    put_file("work/attrs.json", text, 0644);
    setenv("NIX_ATTRS_JSON_FILE", at("work/attrs.json"), 1);
}

static void none_outside_nix(void **state)
{
    (void)state;
    clear_env();
    assert_null(from());
    assert_int_equal(ngot, 0);
}

static void plain_outputs(void **state)
{
    (void)state;
    clear_env();
    setenv("outputs", " out\tdev  bin ", 1);
    setenv("out", "/nix/store/aaa-x", 1);
    setenv("dev", "/nix/store/bbb-x-dev", 1);
    /* bin has no variable: left out, so protected */
    assert_non_null(from());
    assert_int_equal(ngot, 2);
    assert_string_equal(got[0], "/nix/store/aaa-x");
    assert_string_equal(got[1], "/nix/store/bbb-x-dev");
}

/* A derivation without `outputs` has one, out. */
static void plain_default_out(void **state)
{
    (void)state;
    clear_env();
    setenv("out", "/nix/store/aaa-x", 1);
    setenv("dev", "/nix/store/bbb-x-dev", 1);
    assert_non_null(from());
    assert_int_equal(ngot, 1);
    assert_string_equal(got[0], "/nix/store/aaa-x");
}

static void plain_relative_is_no_output(void **state)
{
    (void)state;
    clear_env();
    setenv("out", "outputs/out", 1);
    assert_null(from());
}

static void structured_outputs(void **state)
{
    (void)state;
    clear_env();
    setenv("out", "/nix/store/not-this", 1); /* not exported under structured attrs */
    attrs_json("{\"name\": \"x\", \"env\": {\"a\": [1, 2.5e3, true, null, {\"outputs\": 1}]},\n"
               " \"s\": \"quote \\\" and \\\\u0041\",\n"
               " \"outputs\": {\"out\": \"/nix/store/aaa-x\", \"dev\": \"/nix/store/bbb-x-dev\"},\n"
               " \"z\": false}\n");
    assert_non_null(from());
    assert_int_equal(ngot, 2);
    assert_string_equal(got[0], "/nix/store/aaa-x");
    assert_string_equal(got[1], "/nix/store/bbb-x-dev");
}

/* Fail closed: an unreadable file gives no output, not the ones read
   before the fault. */
static void structured_unreadable(void **state)
{
    static const char *const bad[] = {
        "{\"outputs\": {\"out\": \"/nix/store/aaa-x\", \"dev\": 3}}",
        "{\"outputs\": {\"out\": \"/nix/store/aaa-x\"}",
        "{\"outputs\": {\"out\": \"/nix/store/aaa-x\"}, \"outputs\": {}}",
        "{\"outputs\": {\"out\": \"/nix/store/a\\u0041\"}}",
        "{\"outputs\": {\"out\": \"relative\"}}",
        "{\"outputs\": [\"/nix/store/aaa-x\"]}",
        "{\"name\": \"x\"}",
        "{\"outputs\": {\"out\": \"/nix/store/aaa-x\"}} trailing",
        "",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        clear_env();
        attrs_json(bad[i]);
        assert_null(from());
        assert_int_equal(ngot, 0);
    }
    clear_env();
    setenv("NIX_ATTRS_JSON_FILE", at("work/missing.json"), 1);
    assert_null(from());
    clear_env();
    setenv("NIX_ATTRS_SH_FILE", at("work/attrs.sh"), 1); /* only the shell form: not read */
    setenv("out", "/nix/store/aaa-x", 1);
    assert_null(from());
}

/* Nesting deeper than the parser follows is unreadable, not a crash. */
static void structured_deep(void **state)
{
    static char text[4096];
    (void)state;
    clear_env();
    strcpy(text, "{\"a\": ");
    for (int i = 0; i < 1000; i++)
        strcat(text, "[");
    attrs_json(text);
    assert_null(from());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(none_outside_nix),
        cmocka_unit_test(plain_outputs),
        cmocka_unit_test(plain_default_out),
        cmocka_unit_test(plain_relative_is_no_output),
        cmocka_unit_test(structured_outputs),
        cmocka_unit_test(structured_unreadable),
        cmocka_unit_test(structured_deep),
    };
    int failed;

    fixture_init();
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    fixture_free();
    return failed;
}
