const char *tinyc_name(void) { return "tinyc, bundled"; }
