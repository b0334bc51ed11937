# The cases of tests/programs/run.sh: one real program each.  Sourced by
# run.sh; $STORE, $OSTORE, $OUT and $CRANE_HOOKS are exported to the acts.
#
# prog NAME FIXTURE ACT [OUT]: ACT runs in the work dir as the mode's user;
# OUT names the files whose result is compared (relative to the work dir,
# $OUT for the build's output).  Optional: SHOW_NAME (a command whose
# output is compared too), REF_NAME (the reference's command, when it is
# not ACT on private copies), BITES_NAME (why the case cannot bite), REFUSE_NAME
# (cowlink must refuse it), MODES_NAME, NEEDS_NAME (a command that must
# succeed, else the case is skipped).
# shellcheck shell=bash disable=SC2016,SC2034 # acts run later; run.sh reads the variables by name
PROGRAMS=""
prog() {
    PROGRAMS="$PROGRAMS $1"
    eval "setup_$1() { $2; }"
    eval "ACT_$1=\$3"
    eval "OUT_$1=\${4:-}"
}

# Known failures of today's library: NAME:MODE:ITEM (MODE * for both), ITEM
# the item of issue 17 that covers it.
XFAIL=""

# The fixtures.  text: a store file and a link to it, a private source.
text() {
    store_file pkg/a.txt $'old one\nold two\n'
    link a.txt pkg/a.txt
    printf 'fresh\n' >"$W/src.txt"
}
# bins: objects, a program with debug info, archives, built once.
bins() {
    if [ ! -e "$TPL/prog" ]; then
        printf '#include <stdio.h>\nint main(void){puts("built here");return 0;}\n' >"$TPL/hello.c"
        printf 'int f(void){return 1;}\n' >"$TPL/f.c"
        printf 'int g(void){return 2;}\n' >"$TPL/g.c"
        (cd "$TPL" && gcc -g -c hello.c f.c g.c && gcc -o prog hello.o &&
            ar rcs libx.a f.o && ar rc noindex.a f.o g.o) || return 1
    fi
    mkdir -p "$STORE_SRC/pkg"
    local f
    for f in prog hello.o libx.a noindex.a combo.o; do
        cp "$TPL/${f/combo/f}" "$STORE_SRC/pkg/$f"
        link "$f" "pkg/$f"
    done
    cp "$TPL/f.o" "$TPL/g.o" "$W/"
}

# Editors in place: sed, perl and gawk read through the link and rename a
# new file over it, with the mode they read.
prog sed_i text 'sed -i s/old/new/ a.txt' a.txt
prog sed_follow text 'sed -i --follow-symlinks s/old/new/ a.txt' a.txt
# It resolves the link itself and writes beside the store file it found.
REFUSE_sed_follow=yes TEMP_sed_follow=sed
prog perl_pi text 'perl -pi -e s/old/new/ a.txt' a.txt
prog awk_inplace text 'gawk -i inplace "{ sub(/old/, \"new\") } 1" a.txt' a.txt

# Copies onto a link, and copies of links into the build's output.
prog install text 'install -m 644 src.txt a.txt' a.txt
BITES_install="install removes the destination before it writes: the link, never the store file"
prog cp_f text 'cp -f src.txt a.txt' a.txt
prog cp_reflink text 'cp --reflink=auto src.txt a.txt' a.txt
prog cp_p text 'cp -p a.txt "$OUT/"' '$OUT/a.txt'
prog cp_a 'text; printf ro >"$W/ro.txt"; chmod 444 "$W/ro.txt"' 'cp -a ro.txt "$OUT/"' '$OUT'
BITES_cp_a="a private read-only file into the build's own output: no link is involved"
# A link to a store directory as the directory operand: refused.
dirlink() { tar_fixture; ln -s "$STORE/pkg" "$W/pkgdir"; }
prog mv_into_out 'text; printf ro >"$W/ro.txt"; chmod 444 "$W/ro.txt"; touch -d @5000 "$W/ro.txt"' 'mv ro.txt "$OUT/"' '$OUT'
BITES_mv_into_out="moves a private read-only file into the build's own output: no link is involved"
NEEDS_mv_into_out='mountpoint -q "$OSTORE"' # else mv renames: nothing to compare
prog cp_below_dirlink dirlink 'cp src.txt pkgdir/a.txt'
prog cp_into_dirlink dirlink 'cp src.txt pkgdir/'
prog install_t_dirlink dirlink 'install -m 644 -t pkgdir src.txt'
prog tar_C_dirlink dirlink 'tar -xf in.tar -C pkgdir'
REFUSE_cp_below_dirlink=yes REFUSE_cp_into_dirlink=yes REFUSE_install_t_dirlink=yes REFUSE_tar_C_dirlink=yes
prog mv text 'mv src.txt a.txt' a.txt
BITES_mv="rename replaces the link: the store file is never opened"
prog ln_s text 'ln -sf src.txt a.txt' a.txt
BITES_ln_s="ln replaces the link: the store file is never opened"
prog rsync text 'rsync src.txt a.txt' a.txt
BITES_rsync="rsync writes a temporary file and renames it over the link"
prog rsync_inplace text 'rsync --inplace src.txt a.txt' a.txt
BITES_rsync_inplace="rsync --inplace removes a destination that is a symlink: the link, never the store file"

# Archives extracted over links, and read-only files into the output.
tar_fixture() {
    text
    mkdir -p "$W/arc" && printf 'from the archive\n' >"$W/arc/a.txt" && printf ro >"$W/arc/ro.txt" &&
        chmod 444 "$W/arc/ro.txt" && touch -d @5000 "$W/arc/a.txt" "$W/arc/ro.txt" &&
        (cd "$W/arc" && tar -cf ../in.tar a.txt && tar -cf ../ro.tar ro.txt a.txt &&
            printf 'a.txt\n' | cpio -o --quiet >../in.cpio) && rm -r "$W/arc"
}
prog tar_x tar_fixture 'tar -xf in.tar' a.txt
BITES_tar_x="tar removes an existing file before it extracts: the link, never the store file"
prog tar_overwrite tar_fixture 'tar --overwrite -xf in.tar' a.txt
BITES_tar_overwrite="tar --overwrite removes a symlink before it extracts: the link, never the store file"
prog tar_into_out tar_fixture 'tar -xf ro.tar -C "$OUT"' '$OUT'
BITES_tar_into_out="extracts into the build's own output: no link is written through"
prog cpio_x tar_fixture 'cpio -idu --quiet <in.cpio' a.txt
BITES_cpio_x="cpio -u removes the existing file first: the link, never the store file"

# Binutils and patchelf on linked objects.
prog patchelf bins 'patchelf --set-rpath /opt/cowlink-test prog' prog
prog strip bins 'strip prog' prog
prog objcopy bins 'objcopy --strip-debug hello.o' hello.o
prog ar bins 'ar rcs libx.a g.o' libx.a
prog ranlib bins 'ranlib noindex.a' noindex.a
prog ld bins 'ld -r -o combo.o f.o g.o' combo.o
BITES_ld="ld removes its output before it writes it: the link, never the store file"

# Build tools writing their outputs through links.
make_fixture() { text; printf 'a.txt: src.txt\n\tcat src.txt >>$@\n' >"$W/Makefile"; }
prog make make_fixture 'make -s' a.txt
cmake_fixture() {
    text
    printf 'configure_file(src.txt a.txt COPYONLY)\nfile(APPEND b.txt "more\\n")\n' >"$W/s.cmake"
    store_file pkg/b.txt $'bee\n'
    link b.txt pkg/b.txt
}
prog cmake cmake_fixture 'cmake -P s.cmake' 'a.txt b.txt'

# A sparse store file: the private copy keeps its holes, as cp does.
sparse() { mkdir -p "$STORE_SRC/pkg" && truncate -s 64M "$STORE_SRC/pkg/big" && link big pkg/big; }
prog sparse_append sparse 'printf x >>big' big
SHOW_sparse_append='[ "$(stat -c %b big)" -lt 1024 ] && echo sparse || echo "$(stat -c %b big) blocks"'

# Python's shutil and os.
py() { printf 'python3 -c %q' "$1"; }
prog py_copyfile text "$(py 'import shutil; shutil.copyfile("src.txt", "a.txt")')" a.txt
prog py_copy2 text "$(py 'import shutil; shutil.copy2("src.txt", "a.txt")')" a.txt
prog py_utime text "$(py 'import os; os.utime("a.txt", (1000, 2000))')" a.txt
prog py_chmod text "$(py 'import os; os.chmod("a.txt", 0o640)')" a.txt
prog py_mmap text "$(py 'import mmap
with open("a.txt", "r+b") as f:
    m = mmap.mmap(f.fileno(), 0); m[0:3] = b"NEW"; m.flush(); m.close()')" a.txt

# SQLite, in its default (rollback journal) and WAL modes.
db() {
    if [ ! -e "$TPL/db.sqlite" ]; then sqlite3 "$TPL/db.sqlite" 'create table t(x); insert into t values(1);' || return 1; fi
    mkdir -p "$STORE_SRC/pkg" && cp "$TPL/db.sqlite" "$STORE_SRC/pkg/" && link db.sqlite pkg/db.sqlite
}
prog sqlite db 'sqlite3 db.sqlite "insert into t values(2)"' db.sqlite
SHOW_sqlite='sqlite3 -readonly db.sqlite "select group_concat(x) from t"; ls'
prog sqlite_wal db 'sqlite3 db.sqlite "pragma journal_mode=wal; insert into t values(2)" >/dev/null' db.sqlite
SHOW_sqlite_wal=$SHOW_sqlite
# SQLite resolves the link itself (readlink) and opens the store path for
# writing, with its journal beside it: refused, as a write into the store
# outside the build's own outputs.
REFUSE_sqlite=yes REFUSE_sqlite_wal=yes

# coreutils.
prog dd text 'dd if=src.txt of=a.txt conv=notrunc status=none' a.txt
prog truncate text 'truncate -s 3 a.txt' a.txt
prog touch_d text 'touch -d @5000 a.txt' a.txt
prog touch_c text 'touch -c -d @5000 a.txt' a.txt
prog chmod text 'chmod 600 a.txt' a.txt
prog perl_utime text 'perl -e "utime(1000, 2000, q(a.txt)) or die \"utime: \$!\\n\""' a.txt
prog chown text 'chown "$(id -u):$(id -g)" a.txt' a.txt
chown_tree() { text; mkdir -p "$W/d" && ln -s "$STORE/pkg/a.txt" "$W/d/a.txt"; }
prog chown_R_L chown_tree 'chown -R -L "$(id -u):$(id -g)" d' d

# git checks a file out over a link.
git_fixture() {
    text
    (cd "$W" && git init -q && printf 'committed\n' >a.txt && git add a.txt &&
        git -c user.name=t -c user.email=t@t commit -qm a) || return 1
    link a.txt pkg/a.txt
}
prog git git_fixture 'git checkout -f -- a.txt' a.txt
SHOW_git='git status --porcelain -- a.txt'
BITES_git="git removes the work tree file before it writes it: the link, never the store file"

# rustc rewrites an rlib and its dep-info that are links (it checks the
# mode first); cargo rebuilds a dependency whose rlib and rmeta are links
# (the integration tests' fixture, as crane's use-symlink inheritance).
rust_fixture() {
    printf 'pub fn f() -> u32 { 1 }\n' >"$W/lib.rs"
    if [ ! -e "$TPL/libx.rlib" ]; then
        (cd "$W" && rustc --crate-type=lib --crate-name x --emit=link,dep-info -o "$TPL/libx.rlib" lib.rs 2>/dev/null) || return 1
    fi
    printf 'pub fn f() -> u32 { 2 }\n' >"$W/lib.rs"
    mkdir -p "$STORE_SRC/pkg" && cp "$TPL/libx.rlib" "$TPL/libx.d" "$STORE_SRC/pkg/"
    link libx.rlib pkg/libx.rlib
    link libx.d pkg/libx.d
}
prog rustc rust_fixture 'rustc --crate-type=lib --crate-name x --emit=link,dep-info -o libx.rlib lib.rs' 'libx.rlib libx.d'
NEEDS_rustc='PATH=$UPATH command -v rustc'
prog cargo setup_cargo_rebuild 'MY_PREFIX_PATH=changed cargo build --release --offline -q'
NEEDS_cargo='PATH=$UPATH command -v cargo'
SHOW_cargo='./target/release/app'

# crane's own hooks: inheritCargoArtifacts (use-symlink: rlib and rmeta
# linked from the store), the rebuild, installCargoArtifacts into $out.
# The reference is crane's deep copy (doNotLinkInheritedArtifacts).
crane_fixture() {
    cargo_template || return 1
    mkdir -p "$STORE_SRC/artifacts" && cp -a "$CARGO_TEMPLATE/target" "$STORE_SRC/artifacts/target"
    cp -a "$CARGO_TEMPLATE/src/." "$W/"
}
prog crane crane_fixture 'cargoArtifacts=$STORE/artifacts NIX_BUILD_CORES=1 TMPDIR=$PWD
    . "$CRANE_HOOKS/inheritCargoArtifactsHook.sh" && . "$CRANE_HOOKS/installCargoArtifactsHook.sh" &&
    inheritCargoArtifacts >/dev/null 2>&1 &&
    MY_PREFIX_PATH=changed cargo build --release --offline -q &&
    prepareAndInstallCargoArtifactsDir "$OUT" target use-symlink >/dev/null'
# shellcheck disable=SC2154 # set by prog
REF_crane="doNotLinkInheritedArtifacts=1 $ACT_crane"
SHOW_crane='"$OUT/target/release/app"; find "$OUT/target" -type l | wc -l'
NEEDS_crane='test -d "$CRANE_HOOKS" && PATH=$UPATH command -v cargo'
