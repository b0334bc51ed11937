# The integration cases.  Each is setup_NAME / ACT_NAME / check_NAME (see
# run_case in run.sh); SPECIAL cases are plain functions.  Sourced by run.sh.

CASES="sh_truncate sh_append cp gcc ar touch chmod truncate python_rplus
       stat_view test_w dangling_creat relative_chain foreign_link rename_unlink
       cargo_rebuild"
SPECIAL="same_error_unwritable_dir same_error_dangling disabled concurrent"

one_link() { store_file a.txt 'old'; link a.txt; }

setup_sh_truncate() { one_link; }
ACT_sh_truncate='echo new > a.txt'
check_sh_truncate() { is_private a.txt && content a.txt new && event empty a.txt; }

setup_sh_append() { one_link; }
ACT_sh_append='echo more >> a.txt'
check_sh_append() { is_private a.txt && content a.txt "oldmore" && event copy a.txt; }

setup_cp() { one_link; }
ACT_cp='echo fresh > src.txt && cp src.txt a.txt'
check_cp() { is_private a.txt && content a.txt fresh; }

# gcc -MD writes its dependency file through the link (cc1 opens it with
# O_TRUNC); the assembler and the linker unlink their outputs first.
setup_gcc() {
    printf '#include <stdio.h>\nint main(void){puts("built here");return 0;}\n' >"$W/hello.c"
    (cd "$W" && eval "$ACT_gcc" && mv prog hello.o hello.d "$STORE_SRC/")
    link prog
    link hello.o
    link hello.d
}
ACT_gcc='gcc -MD -c hello.c -o hello.o && gcc -o prog hello.o'
check_gcc() {
    is_private hello.d && grep -q 'hello.c' "$W/hello.d" && event empty hello.d && event remove hello.o && event remove prog &&
        [ "$("$W/prog")" = "built here" ] || { echo "  prog does not run"; return 1; }
}

# binutils ar keeps a symlinked archive a link: it rewrites it in place.
setup_ar() {
    printf 'int f(void){return 1;}\n' >"$W/f.c"
    printf 'int g(void){return 2;}\n' >"$W/g.c"
    (cd "$W" && gcc -c f.c g.c && ar rcs libx.a f.o && mv libx.a "$STORE_SRC/")
    link libx.a
}
ACT_ar='ar rcs libx.a g.o'
check_ar() { is_private libx.a && [ "$(ar t "$W/libx.a" | tr '\n' ' ')" = "f.o g.o " ] || { echo "  archive members: $(ar t "$W/libx.a")"; return 1; }; }

setup_touch() { one_link; }
ACT_touch='touch a.txt'
check_touch() {
    is_private a.txt && content a.txt old &&
        [ "$(stat -c %Y "$W/a.txt")" -gt 1000 ] || { echo "  mtime not set"; return 1; }
}

setup_chmod() { one_link; }
ACT_chmod='chmod 640 a.txt'
check_chmod() { is_private a.txt && [ "$(stat -c %a "$W/a.txt")" = 640 ] || { echo "  mode $(stat -c %a "$W/a.txt")"; return 1; }; }

setup_truncate() { one_link; }
ACT_truncate='truncate -s 2 a.txt'
check_truncate() { is_private a.txt && content a.txt ol; }

setup_python_rplus() { one_link; }
ACT_python_rplus='python3 -c "f = open(\"a.txt\", \"r+\"); f.write(\"N\"); f.close()"'
check_python_rplus() { is_private a.txt && content a.txt Nld; }

# A stat that follows the link sees the owner write bit; nothing is copied.
setup_stat_view() { one_link; }
ACT_stat_view='[ "$(stat -L -c %a a.txt)" = 644 ]'
check_stat_view() { is_link a.txt; }

# test -w asks access(2).  Root may write a 0444 file, so only the modes
# where the store is really unwritable show the difference.
setup_test_w() { one_link; }
ACT_test_w='test -w a.txt'
MODES_test_w="nobody root-ro"
check_test_w() { is_link a.txt; }

# A link to a store file that does not exist: O_CREAT makes a private file.
setup_dangling_creat() { store_file other 'x'; link d.txt missing; }
ACT_dangling_creat='echo created > d.txt'
check_dangling_creat() { is_private d.txt && content d.txt created && event create d.txt; }

# c1 -> c2 -> ../store/a.txt (relative): c1 becomes the private file.
setup_relative_chain() {
    store_file a.txt 'old'
    ln -s c2 "$W/c1"
    ln -s "$(realpath --relative-to="$W" "$STORE")/a.txt" "$W/c2"
}
ACT_relative_chain='echo more >> c1'
check_relative_chain() { is_private c1 && content c1 oldmore && is_link c2; }

# A link that does not point into the store keeps its normal semantics.
setup_foreign_link() { one_link; echo mine >"$W/mine.txt"; ln -s mine.txt "$W/o"; }
ACT_foreign_link='echo more >> o && [ "$(stat -L -c %a o)" = 644 ]'
BITES_foreign_link=no
check_foreign_link() { is_link o && content mine.txt "mine
more" && ! grep -q "path=$W/o" "$LOG" 2>/dev/null; }

# rename onto a link and unlink of one replace the link: recorded only.
setup_rename_unlink() { one_link; store_file b.txt 'b'; link b.txt; }
ACT_rename_unlink='echo new > n.txt && mv n.txt a.txt && rm b.txt'
BITES_rename_unlink=no
check_rename_unlink() {
    is_private a.txt && content a.txt new && [ ! -e "$W/b.txt" ] &&
        event replace a.txt && event remove b.txt
}

# The report itself: a build script watches an env var, cargo rebuilds the
# inherited dependency, rustc stats its output and finds no write bit.
CARGO_TEMPLATE=
cargo_template() {
    [ -n "$CARGO_TEMPLATE" ] && return 0
    CARGO_TEMPLATE=$T/cargo-template
    local p=$CARGO_TEMPLATE/src
    mkdir -p "$p/app/src" "$p/dep/src"
    cat >"$p/Cargo.toml" <<'EOF'
[workspace]
members = ["app", "dep"]
EOF
    cat >"$p/dep/Cargo.toml" <<'EOF'
[package]
name = "dep"
version = "0.1.0"
edition = "2018"
EOF
    cat >"$p/dep/build.rs" <<'EOF'
fn main() {
    println!("cargo:rerun-if-env-changed=MY_PREFIX_PATH");
    let v = std::env::var("MY_PREFIX_PATH").unwrap_or_default();
    println!("cargo:rustc-env=PREFIX_SEEN={}", v);
}
EOF
    echo 'pub fn prefix() -> &'"'"'static str { env!("PREFIX_SEEN") }' >"$p/dep/src/lib.rs"
    cat >"$p/app/Cargo.toml" <<'EOF'
[package]
name = "app"
version = "0.1.0"
edition = "2018"

[dependencies]
dep = { path = "../dep" }
EOF
    echo 'fn main() { println!("prefix={}", dep::prefix()); }' >"$p/app/src/main.rs"
    # Built where every run builds (the path is part of the crates' hashes).
    rm -rf "$W" && cp -a "$p" "$W" &&
        (cd "$W" && MY_PREFIX_PATH=first CARGO_HOME=$W/.cargo PATH=$UPATH \
            cargo build --release --offline -q) &&
        mv "$W/target" "$CARGO_TEMPLATE/target" || { echo "  cannot build the cargo template"; return 1; }
}
# As crane's use-symlink mode: everything copied but deps/*.rlib and
# deps/*.rmeta, which are links into the store.
setup_cargo_rebuild() {
    cargo_template || return 1
    cp -a "$CARGO_TEMPLATE/target" "$STORE_SRC/target"
    cp -a "$CARGO_TEMPLATE/src/." "$W/"
    cp -a "$CARGO_TEMPLATE/target" "$W/target"
    local f
    for f in "$W"/target/release/deps/*.rlib "$W"/target/release/deps/*.rmeta; do
        ln -sfn "$STORE/target/release/deps/${f##*/}" "$f"
    done
}
ACT_cargo_rebuild='MY_PREFIX_PATH=changed cargo build --release --offline 2>&1 && ./target/release/app'
FAILS_cargo_rebuild='is not writeable -- check its permissions'
check_cargo_rebuild() {
    local out
    out=$("$W/target/release/app") && [ "$out" = prefix=changed ] || { echo "  app printed '$out'"; return 1; }
    local lib=$(cd "$W/target/release/deps" && ls libdep-*.rlib)
    is_private "target/release/deps/$lib" && event remove "target/release/deps/$lib"
}
command -v cargo >/dev/null || { CASES=${CASES/cargo_rebuild/}; echo "SKIP cargo_rebuild: no cargo"; }

# A link in a directory the user cannot write: cowlink cannot help, so the
# program must see exactly the error it saw without cowlink, plus one line.
same_error() { # NAME SETUP ACT
    local name=$1 plain with extra
    fresh && $2 && seal
    plain=$(as_user "$3" 2>&1; echo "status=$?")
    fresh && $2 && seal
    local before=$(store_sum)
    with=$(with_cowlink "$3" 2>&1; echo "status=$?")
    extra=$(grep -c '^cowlink: ' <<<"$with")
    if [ "$(grep -v '^cowlink: ' <<<"$with")" != "$plain" ]; then
        fail "$name" "with cowlink the program saw '$with', without '$plain'"
    elif [ "$extra" -gt 1 ]; then
        fail "$name" "$extra cowlink lines on stderr"
    elif [ "$(store_sum)" != "$before" ] || ! no_temp >/dev/null; then
        fail "$name" "store changed or temporary file left"
    else
        pass "$name"
    fi
}

setup_locked_dir() {
    one_link
    mkdir "$W/locked" && mv "$W/a.txt" "$W/locked/a.txt"
}
same_error_unwritable_dir() {
    [ "$MODE" = nobody ] || return 0
    fresh && setup_locked_dir && seal && chown root: "$W/locked"
    local plain with before=$(store_sum)
    plain=$(as_user 'echo x >> locked/a.txt' 2>&1; echo "status=$?")
    with=$(with_cowlink 'echo x >> locked/a.txt' 2>&1; echo "status=$?")
    if [ "$(grep -v '^cowlink: ' <<<"$with")" != "$plain" ]; then
        fail same_error_unwritable_dir "with cowlink: '$with'; without: '$plain'"
    elif [ "$(grep -c '^cowlink: cannot replace' <<<"$with")" != 1 ]; then
        fail same_error_unwritable_dir "expected one explanation line, got: $with"
    elif [ "$(store_sum)" != "$before" ] || ! no_temp >/dev/null || ! is_link locked/a.txt >/dev/null; then
        fail same_error_unwritable_dir "store changed, link replaced or temporary file left"
    else
        pass same_error_unwritable_dir
    fi
}

# A dangling store link opened without O_CREAT fails with ENOENT as before.
setup_dangling() { store_file other x; link d.txt missing; }
same_error_dangling() { same_error same_error_dangling setup_dangling 'python3 -c "open(\"d.txt\", \"r+\")" 2>&1 | tail -n 1'; }

# COWLINK=0: loaded but a pure pass-through, so the failure stays.
disabled() {
    [ "$MODE" != root-rw ] || return 0
    fresh && one_link && seal
    if with_cowlink 'COWLINK=0 bash -c "echo x >> a.txt"' 2>/dev/null; then
        fail disabled "COWLINK=0 still materialized the link"
    elif ! is_link a.txt >/dev/null; then
        fail disabled "the link was replaced"
    else
        pass disabled
    fi
}

# Many processes and threads append through the same links at once: every
# line arrives, after the store content, and no temporary file remains.
concurrent() {
    local procs=16 lines=40 f i expect_lines=$((1 + 16 * 40 / 4 + 4 * 40 / 4))
    fresh
    for i in 0 1 2 3; do store_file "f$i" "store line $i
"; link "f$i"; done
    seal
    local before=$(store_sum)
    with_cowlink "
        for p in \$(seq $procs); do
            ( for j in \$(seq $lines); do echo p\$p-\$j >> f\$((j % 4)); done ) &
        done
        python3 -c '
import threading
def w(t):
    for j in range($lines):
        with open(\"f%d\" % (j % 4), \"a\") as f:
            f.write(\"t%d-%d\\n\" % (t, j))
ts = [threading.Thread(target=w, args=(t,)) for t in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]' &
        wait" || { fail concurrent "the writers failed"; return; }
    for i in 0 1 2 3; do
        if ! is_private "f$i" >/dev/null || [ "$(head -n 1 "$W/f$i")" != "store line $i" ] ||
            [ "$(wc -l <"$W/f$i")" != "$expect_lines" ] || [ -n "$(sort "$W/f$i" | uniq -d)" ]; then
            fail concurrent "f$i has $(wc -l <"$W/f$i") lines, expected $expect_lines, first '$(head -n 1 "$W/f$i")'"
            return
        fi
    done
    if [ "$(store_sum)" != "$before" ] || ! no_temp >/dev/null; then
        fail concurrent "store changed or temporary file left"
    else
        pass concurrent
    fi
}
