# The cases of tests/store/run.sh, grouped as the hostile review listed
# them.  Sourced by run.sh.  $STORE, $ALIAS and $CALLS are exported.
#
# The fixture: a store entry pkg/ with a.txt, a link inside the store
# (b.link -> b.txt), a file with an extended attribute, a directory; in the
# work dir a link to a store file, a link to the store directory pkg and a
# link to the store itself.
base() {
    store_file pkg/a.txt old
    store_file pkg/b.txt bee
    ln -s b.txt "$STORE_SRC/pkg/b.link"
    store_file pkg/x.attr attr
    setfattr -n user.cow -v 1 "$STORE_SRC/pkg/x.attr" 2>/dev/null
    mkdir -p "$STORE_SRC/pkg/sub"
    link a.txt pkg/a.txt
    link x.attr pkg/x.attr
    ln -s "$STORE/pkg" "$W/pkgdir"
    ln -s "$STORE" "$W/s"
}
REFUSED='nobody:EACCES root-ro:EROFS root-rw:EROFS'  # a write to the store
NOT_OWNER='nobody:EPERM root-ro:EROFS root-rw:EROFS' # a change of mode, owner or times
UNKNOWN='*:EROFS'                                    # a link cowlink cannot follow

CASES=""
add() { CASES="$CASES $*"; }
# one NAME CALL [WANT]: a case on the base fixture
one() {
    eval "setup_$1() { base; }"
    eval "CALL_$1=\$2"
    [ $# -lt 3 ] || eval "WANT_$1=\$3"
}

# 1. A link inside the store, by its store path or below a directory link:
#    cowlink must not make it private (its temporary file would be created
#    in the store); a stat through it shows the store's mode.
add inside_by_store_path inside_via_dirlink inside_stat_view
one inside_by_store_path '$CALLS append $STORE/pkg/b.link' "$REFUSED"
one inside_via_dirlink '$CALLS append pkgdir/b.link' "$REFUSED"
one inside_stat_view '$CALLS stat pkgdir/b.link'
BITES_inside_stat_view=no

# 2. Links to a store directory, or to the store itself.
add dirlink_chmod storeroot_chmod dirlink_chown dirlink_utimens dirlink_setxattr
add below_dirlink_trunc below_dirlink_create below_dirlink_excl below_dirlink_mkdir
add below_dirlink_unlink below_dirlink_rename below_dirlink_symlink dirlink_access
one dirlink_chmod '$CALLS chmod pkgdir 777' "$NOT_OWNER"
one storeroot_chmod '$CALLS chmod s 777' "$NOT_OWNER"
one dirlink_chown '$CALLS chown pkgdir 0 0' "$NOT_OWNER"
one dirlink_utimens '$CALLS utimensat pkgdir set' "$NOT_OWNER"
one dirlink_setxattr '$CALLS setxattr pkgdir' "$REFUSED"
one below_dirlink_trunc '$CALLS trunc pkgdir/a.txt' "$REFUSED"
one below_dirlink_create '$CALLS create pkgdir/new 644' "$REFUSED"
one below_dirlink_excl '$CALLS create_excl pkgdir/new' "$REFUSED"
one below_dirlink_mkdir '$CALLS mkdir pkgdir/d' "$REFUSED"
one below_dirlink_unlink '$CALLS unlink pkgdir/a.txt' "$REFUSED"
one below_dirlink_rename '$CALLS rename pkgdir/a.txt moved' 'nobody:EACCES root-ro:EROFS root-rw:EROFS'
one below_dirlink_symlink '$CALLS symlink pkgdir/l' "$REFUSED"
# The kernel looks a name up before any permission check: an exclusive
# create of an existing name is EEXIST, a removal of a missing one ENOENT,
# in every mode (tar -x into a link to a store directory met EACCES); a
# removal meets a read-only mount first.  A rename across mounts meets EXDEV
# first, which cowlink does not predict: that mode is left out.
add below_dirlink_mkdir_exists below_dirlink_excl_exists below_dirlink_symlink_exists
add below_dirlink_unlink_missing below_dirlink_rename_missing
one below_dirlink_mkdir_exists '$CALLS mkdir pkgdir/sub' '*:EEXIST'
one below_dirlink_excl_exists '$CALLS create_excl pkgdir/a.txt' '*:EEXIST'
one below_dirlink_symlink_exists '$CALLS symlink pkgdir/a.txt' '*:EEXIST'
one below_dirlink_unlink_missing '$CALLS unlink pkgdir/nothing' 'root-ro:EROFS *:ENOENT'
one below_dirlink_rename_missing '$CALLS rename pkgdir/nothing moved' '*:ENOENT'
MODES_below_dirlink_rename_missing='root-rw nobody'
BITES_below_dirlink_mkdir_exists=no BITES_below_dirlink_excl_exists=no BITES_below_dirlink_symlink_exists=no
BITES_below_dirlink_unlink_missing=no BITES_below_dirlink_rename_missing=no
one dirlink_access '$CALLS access_w pkgdir'
BITES_dirlink_access=no

# 5. Links cowlink cannot follow are refused, never passed.
add deep_cwd deleted_cwd no_proc
one deep_cwd '$CALLS deep_cwd $STORE/pkg/a.txt' "$UNKNOWN"
one deleted_cwd '$CALLS deleted_cwd $STORE/pkg/a.txt' "$UNKNOWN"
one no_proc 'unshare --mount --propagation private sh -c "umount -l /proc && exec \$CALLS via_dirfd . a.txt"' "$UNKNOWN"
MODES_no_proc="root-ro root-rw"

# 6. Calls that were not intercepted.
add link_follow setxattr removexattr fd_fchmod fd_fchown fd_futimens fd_futimens_now
add fd_utimensat fd_futimesat fd_fchownat_empty fd_fsetxattr fd_fremovexattr fd_setflags
add fd_linkat_empty freopen_null
one link_follow '$CALLS link_follow a.txt hard' 'nobody:EPERM root-ro:EXDEV root-rw:EXDEV'
one setxattr '$CALLS setxattr a.txt' '*:ok'
check_setxattr() { is_private a.txt && content a.txt old && getfattr -n user.cow "$W/a.txt" >/dev/null; }
# The private copy does not carry the store file's extended attributes
# (Nix store files have none): removing one finds nothing.
one removexattr '$CALLS removexattr x.attr' '*:ENODATA'
check_removexattr() { is_private x.attr && content x.attr attr; }
for call in fchmod fchown futimens fchownat_empty utimensat_fd futimesat_fd; do
    one "fd_${call%_fd}" "\$CALLS fd $call a.txt" "$NOT_OWNER"
done
one fd_futimens_now '$CALLS fd futimens_now a.txt' "$REFUSED"
one fd_fsetxattr '$CALLS fd fsetxattr a.txt' "$REFUSED"
one fd_fremovexattr '$CALLS fd fremovexattr x.attr' "$REFUSED"
# FS_IOC_SETFLAGS (chattr): file systems without flags say ENOTTY both ways.
one fd_setflags '$CALLS fd setflags a.txt' "$NOT_OWNER"
# Linking a descriptor needs CAP_DAC_READ_SEARCH: root only.
one fd_linkat_empty '$CALLS fd linkat_empty a.txt' '*:EXDEV'
MODES_fd_linkat_empty="root-ro root-rw"
one freopen_null '$CALLS freopen a.txt' "$REFUSED"
# freopen with a path is made on the placed name (/proc/self/fd/N/NAME),
# as fopen is: a store link made private, a name below a link to a store
# directory refused.
add freopen_path_link freopen_path_below_dirlink
one freopen_path_link '$CALLS freopen_path a.txt' '*:ok'
check_freopen_path_link() { is_private a.txt && content a.txt x; }
one freopen_path_below_dirlink '$CALLS freopen_path pkgdir/new' "$REFUSED"
# A ",ccs=" mode goes by the placed name; refused, it fails as freopen
# fails (the stream's descriptor closed: calls.c's reopen_failed).
add freopen_ccs_below_dirlink
one freopen_ccs_below_dirlink '$CALLS freopen_path pkgdir/new w,ccs=UTF-8' "$REFUSED"

# 7. fopen modes that glibc opens for writing.
add fopen_rplusx fopen_rxplus fopen_plus_sixth fopen_plus_seventh
for m in rplusx:r+x rxplus:rx+ plus_sixth:rbbbb+; do
    one "fopen_${m%%:*}" "\$CALLS fopen a.txt ${m#*:}" '*:ok'
    eval "check_fopen_${m%%:*}() { is_private a.txt && content a.txt \$'x\nd'; }"
done
# glibc reads six characters after the first: this '+' is ignored, the
# stream is read-only and the write fails, with and without cowlink.
one fopen_plus_seventh '$CALLS fopen a.txt rbbbbbb+'
BITES_fopen_plus_seventh=no
check_fopen_plus_seventh() { is_link a.txt; }

# 8. Predict, then act: a call that fails anyway leaves the link alone; a
#    file created through a dangling link gets the caller's mode.
add dangling_creat_0444 chown_to_root truncate_negative
setup_dangling_creat_0444() { base; link d.txt pkg/missing; }
CALL_dangling_creat_0444='$CALLS create d.txt 444'
WANT_dangling_creat_0444='*:ok'
check_dangling_creat_0444() {
    [ -f "$W/d.txt" ] && [ ! -L "$W/d.txt" ] && content d.txt x &&
        [ "$(stat -c %a "$W/d.txt")" = 444 ] || { echo "  d.txt: $(stat -c '%F %a' "$W/d.txt")"; return 1; }
}
one chown_to_root '$CALLS chown a.txt 0 0'
MODES_chown_to_root=nobody
BITES_chown_to_root=no
check_chown_to_root() { is_link a.txt; }
one truncate_negative '$CALLS truncate a.txt -5'
BITES_truncate_negative=no
check_truncate_negative() { is_link a.txt; }

# 9. Results: no-ops succeed without a copy, errors are the plain call's.
add utimens_omit utimens_now_unwritable chown_noop opath_empty
one utimens_omit '$CALLS utimensat a.txt omit'
BITES_utimens_omit=no
check_utimens_omit() { is_link a.txt; }
setup_utimens_now_unwritable() { base; mkdir -p "$W/ro"; ln -s "$STORE/pkg/a.txt" "$W/ro/a.txt"; chmod 0555 "$W/ro"; }
CALL_utimens_now_unwritable='$CALLS utimensat ro/a.txt now'
MODES_utimens_now_unwritable=nobody
BITES_utimens_now_unwritable=no
one chown_noop '$CALLS chown a.txt -1 -1' '*:ok'
check_chown_noop() { is_link a.txt; }
one opath_empty '$CALLS fd opath_chown a.txt'
BITES_opath_empty=no

# 12. A relative log is not created in the store; a store bind-mounted
#     under another path is still the store; error lines name the target.
add relative_log bind_mounted error_names_target
one relative_log 'cd $STORE/pkg && COWLINK_LOG=events.log $CALLS append $OLDPWD/a.txt' '*:ok'
MODES_relative_log=root-rw
setup_bind_mounted() { base; ln -s "$ALIAS/pkg/a.txt" "$W/alias.txt"; }
CALL_bind_mounted='$CALLS append alias.txt'
WANT_bind_mounted='*:ok'
MODES_bind_mounted="root-ro root-rw"
check_bind_mounted() { is_private alias.txt && content alias.txt $'oldx'; }
setup_error_names_target() { base; mkdir -p "$W/noread"; ln -s "$STORE/pkg/a.txt" "$W/noread/a.txt"; chmod 0311 "$W/noread"; }
CALL_error_names_target='$CALLS append noread/a.txt'
MODES_error_names_target=nobody
BITES_error_names_target=no
check_error_names_target() {
    grep -q "private copy of $STORE/pkg/a.txt: opening its directory" "$T/stderr" ||
        { echo "  stderr: $(cat "$T/stderr")"; return 1; }
}

# 13. Re-timing and re-owning through an ordinary store link change the
#     store's inode as a write does: the link becomes a private copy first
#     (and the unprivileged builder, who owns the copy, then succeeds).
add times_utimensat_set times_utimensat_now times_utimensat_null times_utimes_set
add times_utimes_null times_futimesat_set owner_chown_self owner_fchownat_self
private_old() { is_private a.txt && content a.txt old; }
for c in utimensat:set utimensat:now utimensat:null utimes:set utimes:null futimesat:set; do
    one "times_${c%%:*}_${c#*:}" "\$CALLS ${c%%:*} a.txt ${c#*:}" '*:ok'
    eval "check_times_${c%%:*}_${c#*:}() { private_old; }"
done
check_times_futimesat_set() { private_old && [ "$(stat -c %Y "$W/a.txt")" = 1000 ]; }
check_times_utimensat_set() { private_old && [ "$(stat -c %Y "$W/a.txt")" = 1000 ]; }
one owner_chown_self '$CALLS chown_self a.txt' '*:ok'
one owner_fchownat_self '$CALLS fchownat_self a.txt' '*:ok'
check_owner_chown_self() { private_old; }
check_owner_fchownat_self() { private_old; }

# 14. A full descriptor table: a name cowlink cannot open its directory
#     for cannot be placed: refused with EMFILE and one line (a call that
#     opens a descriptor meets EMFILE first anyway), never made by its
#     path.  The link is left as it is.
add emfile_truncate emfile_chmod emfile_mkdir_below emfile_unlink_below emfile_missing_dir
one emfile_truncate '$CALLS emfile truncate a.txt 1' '*:EMFILE'
one emfile_chmod '$CALLS emfile chmod a.txt 777' '*:EMFILE'
one emfile_mkdir_below '$CALLS emfile mkdir pkgdir/d' '*:EMFILE'
one emfile_unlink_below '$CALLS emfile unlink pkgdir/a.txt' '*:EMFILE'
check_emfile_truncate() { is_link a.txt; }
check_emfile_chmod() { is_link a.txt; }
# unless the kernel's own lookup fails: its error (a missing directory)
one emfile_missing_dir '$CALLS emfile mkdir gone/d' '*:ENOENT'
one emfile_file_dir '$CALLS emfile mkdir a.txt/d' '*:ENOTDIR'
add emfile_file_dir
BITES_emfile_missing_dir=no BITES_emfile_file_dir=no

# 15. A descriptor opened through a store link shows, to fstat and to the
#     AT_EMPTY_PATH stats, what stat of the link shows (the owner write
#     bit), so that sed -i gives the file that replaces the link a writable
#     mode; a store file opened by its store path shows the store's mode.
add view_fstat view_fopen view_fstatat view_statx view_by_store_path sed_inplace_mode
for how in fstat fopen fstatat statx; do
    one "view_$how" "\$CALLS fd_view ${how/fstat/open} a.txt" '*:644'
done
CALL_view_fstatat='$CALLS fd_view fstatat a.txt'
one view_by_store_path '$CALLS fd_view open $STORE/pkg/a.txt'
BITES_view_by_store_path=no
one sed_inplace_mode 'sed -i s/old/new/ a.txt && stat -c %a a.txt' '*:644'
check_sed_inplace_mode() { is_private a.txt && content a.txt new; }

# 16. Predict, then act: an open that truncates and then fails (O_DIRECTORY
#     on a file; O_DIRECT where the link's file system refuses it, ramfs
#     here) leaves the link as it was.
add trunc_directory trunc_direct
one trunc_directory '$CALLS trunc_dir a.txt'
BITES_trunc_directory=no # only the link bites: the old library emptied it
check_trunc_directory() { is_link a.txt; }
setup_trunc_direct() {
    base && mkdir -p "$W/ram" && mount -t ramfs none "$W/ram" && link ram/a.txt pkg/a.txt
}
CALL_trunc_direct='$CALLS trunc_direct ram/a.txt'
WANT_trunc_direct='nobody:EACCES root-ro:EROFS root-rw:EINVAL'
check_trunc_direct() { is_link ram/a.txt; }
teardown_trunc_direct() { ! mountpoint -q "$W/ram" || umount "$W/ram"; }

# 17. A descriptor of the store directory, whose owner write bit (1775, as
#     Nix leaves it) once read as "not in the store".
add fd_storeroot_fchmod fd_storeroot_fchown fd_storeroot_futimens fd_storeroot_fsetxattr
for call in fchmod fchown futimens; do
    one "fd_storeroot_$call" "\$CALLS fd $call s" "$NOT_OWNER"
done
one fd_storeroot_fsetxattr '$CALLS fd fsetxattr s' "$REFUSED"

# 18. ioctl: every request of a file-system family not known only to read
#     (chattr -v: FS_IOC_SETVERSION, an _IOW outside the 'f' family) is
#     refused on a store descriptor; a read passes, as it does without
#     cowlink (ok on ext4, ENOTTY on tmpfs, which has no inode versions).
add fd_setversion fd_getversion
one fd_setversion '$CALLS fd setversion a.txt' "$NOT_OWNER"
one fd_getversion '$CALLS fd getversion a.txt'
BITES_fd_getversion=no

# 19. A working directory below a directory the caller cannot search: the
#     kernel resolves relative names from the working directory, cowlink's
#     walk from "/" meets EACCES, which is no proof that the call fails.
#     The caller is the store's owner (root without CAP_DAC_*, as in
#     single-user Nix): the change of mode is refused, not passed.
add locked_ancestor_chmod locked_ancestor_utimes
setup_locked_ancestor_chmod() { base; mkdir -p "$W/anc/in"; ln -s "$STORE/pkg/a.txt" "$W/anc/in/a.txt"; }
setup_locked_ancestor_utimes() { setup_locked_ancestor_chmod; }
owner_below_locked='cd anc/in && chmod 0 .. && setpriv --bounding-set=-dac_override,-dac_read_search $CALLS'
CALL_locked_ancestor_chmod="$owner_below_locked chmod a.txt 644"
CALL_locked_ancestor_utimes="$owner_below_locked utimes a.txt set"
WANT_locked_ancestor_chmod='root-rw:EROFS'
WANT_locked_ancestor_utimes='root-rw:EROFS'
MODES_locked_ancestor_chmod=root-rw
MODES_locked_ancestor_utimes=root-rw

# 20. Configuration: an empty COWLINK_STORE counts as unset, as the cowlink
#     command reads it (NIX_STORE, else /nix/store), never as "no store".
add empty_cowlink_store stores_past_16
one empty_cowlink_store 'COWLINK_STORE= NIX_STORE=$STORE $CALLS append a.txt' '*:ok'
check_empty_cowlink_store() { is_private a.txt && content a.txt $'oldx'; }
# Every store directory counts, however many (the 17th was ignored).
one stores_past_16 'COWLINK_STORE=$(printf "/nonexistent/s%s:" $(seq 16))$STORE $CALLS append pkgdir/a.txt' "$REFUSED"

# 21. The mkstemp family creates a name: below a link to a store directory
#     it is refused like any create (sed -i through such a link).
add mkstemp_below_dirlink mkdtemp_below_dirlink sed_below_dirlink
one mkstemp_below_dirlink '$CALLS mkstemp pkgdir/tmpXXXXXX' "$REFUSED"
one mkdtemp_below_dirlink '$CALLS mkdtemp pkgdir/tmpXXXXXX' "$REFUSED"
one sed_below_dirlink 'sed -i s/old/new/ pkgdir/a.txt 2>/dev/null; echo $?' '*:4'
# cowlink makes the name itself on the directory it placed (temps.c), as
# glibc does: below a plain directory the same file or directory, mode,
# descriptor flags and rewritten template (letters in place of the X's,
# the suffix kept) as without the library, and one entry made.
add temp_mkstemp temp_mkostemps temp_mkdtemp
CALL_temp_mkstemp='$CALLS temp sub/tmpXXXXXX'
CALL_temp_mkostemps='$CALLS temp sub/tmpXXXXXX.c 2'
CALL_temp_mkdtemp='$CALLS temp_dir sub/tmpXXXXXX'
one_temp() { # one_temp PATTERN TYPE MODE: sub holds just that
    local got
    got=$(find "$W/sub" -mindepth 1 -printf '%y %m %f\n')
    [[ $got == "$2 $3 "$1 ]] && [ "$(wc -l <<<"$got")" = 1 ] || { echo "  sub holds: $got"; return 1; }
}
check_temp_mkstemp() { one_temp 'tmp??????' f 600; }
check_temp_mkostemps() { one_temp 'tmp??????.c' f 600; }
check_temp_mkdtemp() { one_temp 'tmp??????' d 700; }
for c in mkstemp mkostemps mkdtemp; do
    eval "setup_temp_$c() { base; mkdir -p \"\$W/sub\"; }; BITES_temp_$c=no"
done

# 22. The build's own outputs (COWLINK_OUTPUTS, set by the setup hook):
#     every other store entry is refused even when named directly (SQLite's
#     readlink-then-open and its journal, sed -i --follow-symlinks), and
#     descriptor calls on read-only files of an output behave as without
#     cowlink (cp -p, tar -x into $out).
own() { base; store_file out/ro.txt ro; SUM_SKIP=out; }
# own_case NAME CALL [WANT]: CALL with COWLINK_OUTPUTS naming out and out-dev
own_case() {
    eval "setup_$1() { own; }"
    eval "CALL_$1=\$outs' '\$2"
    [ $# -lt 3 ] || eval "WANT_$1=\$3"
    add "$1"
}
outs='COWLINK_OUTPUTS=$STORE/out:$STORE/out-dev'
own_case outputs_other_open '$CALLS append $STORE/pkg/a.txt' "$REFUSED"
own_case outputs_other_journal '$CALLS create $STORE/pkg/a.txt-journal 644' "$REFUSED"
own_case outputs_other_mkstemp '$CALLS mkstemp $STORE/pkg/tmpXXXXXX' "$REFUSED"
own_case outputs_other_fd '$CALLS fd fchmod $STORE/pkg/a.txt' "$NOT_OWNER"
own_case outputs_sed_follow 'sed -i --follow-symlinks s/old/new/ a.txt 2>/dev/null; echo $?' '*:4'
check_outputs_sed_follow() { is_link a.txt; }
# mkdir -p $out chdirs into the store directory and makes the output
# there: the build's own, it behaves as without cowlink (it was refused as
# a name relative to a read-only store directory).  A store directory
# reached through a link is still refused, outputs known or not.
own_case outputs_mkdir_p 'mkdir -p $STORE/out-dev/x 2>/dev/null; echo $?' 'root-rw:0 root-ro:1 nobody:1'
setup_outputs_mkdir_p() { own; SUM_SKIP=out-dev; }
BITES_outputs_mkdir_p=no
own_case outputs_cp_into_dirlink 'echo x >f && cp f pkgdir 2>/dev/null; echo $?' '*:1'
# The build's own output is root's here: as nobody it cannot be written.
for c in fchmod futimens fchown; do
    own_case "outputs_own_$c" "\$CALLS fd $c \$STORE/out/ro.txt"
    eval "MODES_outputs_own_$c='root-rw root-ro' BITES_outputs_own_$c=no"
done # they hold cowlink to the plain call: the old library refused them
own_case outputs_own_append '$CALLS append $STORE/out/ro.txt'
MODES_outputs_own_append='root-rw root-ro'
BITES_outputs_own_append=no # passed before too: named directly

# 23. A read-only store directory open by descriptor (opened through a
#     link to it, as cp FILE DIR, rm -rf DIR/ and tar -C do, or dup'ed by
#     fts): names created, removed or changed relative to it are refused
#     as the same names by path through the link are.
add at_dirlink_mkdir at_dirlink_create at_dirlink_unlink at_dirlink_chmod at_dirlink_rename
add at_storeroot_mkdir at_dirlink_sub_create rm_rf_dirlink cp_into_dirlink
for op in mkdir:d create:new unlink:a.txt chmod:a.txt rename:a.txt; do
    one "at_dirlink_${op%%:*}" "\$CALLS at pkgdir ${op%%:*} ${op#*:}" "$REFUSED"
done
WANT_at_dirlink_chmod=$NOT_OWNER
one at_storeroot_mkdir '$CALLS at s mkdir d' "$REFUSED"
one at_dirlink_sub_create '$CALLS at pkgdir/sub create new' "$REFUSED"
one rm_rf_dirlink 'rm -rf pkgdir/ 2>/dev/null; echo $?' '*:1'
one cp_into_dirlink 'echo x >f && cp f pkgdir 2>/dev/null; echo $?' '*:1'
# ... and as the working directory (mkdir -p chdirs into each directory).
add mkdir_p_dirlink cwd_dirlink_create
one mkdir_p_dirlink 'mkdir -p pkgdir/x/y 2>/dev/null; echo $?' '*:1'
one cwd_dirlink_create 'cd pkgdir && $CALLS create new 644' "$REFUSED"

# 24. One store path bind-mounted elsewhere (not the store directory
#     itself): the mount table says its files are the store's.
add bind_one_path bind_one_path_fd
setup_bind_one_path() {
    base && mkdir -p "$T/onepkg" && mount --bind "$STORE/pkg" "$T/onepkg" &&
        ln -s "$T/onepkg/a.txt" "$W/one.txt"
}
teardown_bind_one_path() { ! mountpoint -q "$T/onepkg" || umount "$T/onepkg"; }
CALL_bind_one_path='$CALLS append one.txt'
WANT_bind_one_path='*:ok'
check_bind_one_path() { is_private one.txt && content one.txt $'oldx'; }
setup_bind_one_path_fd() { setup_bind_one_path; }
teardown_bind_one_path_fd() { teardown_bind_one_path; }
CALL_bind_one_path_fd='$CALLS fd fchmod one.txt'
WANT_bind_one_path_fd=$NOT_OWNER
# The store's own file system seen through another mount (root-ro: the
# writable directory under the read-only bind mount), named directly: the
# mount table says it is the store, with no walk of the path.
own_case outputs_other_underneath '$CALLS append ${STORE%/store}/store-src/pkg/a.txt' 'root-ro:EROFS'
MODES_outputs_other_underneath=root-ro

# 25. A child started with an environment of its own keeps the library and
#     cowlink's settings (it appended through the link it inherited into the
#     store): env -i, Python's subprocess(env=...), execve and execle with a
#     short list, vfork, posix_spawn with an environment, Rust's
#     Command::env_clear().  posix_spawn's deferred open (done in the child
#     with raw system calls) is checked when it is added; open_by_handle_at
#     for writing of a store file is refused.
add child_env_i child_python child_execve child_execle child_vfork child_spawn child_addopen
one child_env_i 'env -i /bin/sh -c "echo x >>a.txt" 2>/dev/null; echo $?' '*:0'
one child_python "python3 -c 'import subprocess as s; print(s.run([\"/bin/sh\", \"-c\", \"echo x >>a.txt\"], env={\"PATH\": \"/bin\"}, stderr=s.DEVNULL).returncode)'" '*:0'
for how in execve execle vfork spawn addopen; do
    one "child_$how" "\$CALLS child $how a.txt" '*:ok'
done
for c in env_i python execve execle vfork spawn addopen; do
    eval "check_child_$c() { is_private a.txt && content a.txt \$'oldx'; }"
done
if command -v rustc >/dev/null && rustc -o "$BIN/env_clear" "$HERE/env_clear.rs" 2>/dev/null; then
    add child_rust_env_clear
    one child_rust_env_clear '${CALLS%/calls}/env_clear a.txt' '*:0'
    check_child_rust_env_clear() { is_private a.txt && content a.txt $'oldx'; }
else
    echo "SKIP child_rust_env_clear: no rustc"
fi
add by_handle
one by_handle '$CALLS by_handle a.txt' "$NOT_OWNER"

# 26. The build's outputs when COWLINK_OUTPUTS does not name them (the
#     cowlink command, a derivation without the setup hook): the ones Nix's
#     environment names ($outputs and each output's variable, or the
#     "outputs" object of NIX_ATTRS_JSON_FILE), else none, and then every
#     store entry named directly is refused (SQLite resolves the link and
#     opens the store path, with its journal beside it).  The first event
#     of a process says in the log which it is.
add unknown_outputs_direct unknown_outputs_sqlite nix_outputs_other nix_outputs_own
add nix_attrs_other nix_attrs_own outputs_logged
one unknown_outputs_direct '$CALLS append $STORE/pkg/a.txt' "$REFUSED"
setup_unknown_outputs_sqlite() {
    base && sqlite3 "$STORE_SRC/pkg/db.sqlite" 'create table t(x); insert into t values(1);' &&
        link db.sqlite pkg/db.sqlite
}
CALL_unknown_outputs_sqlite='sqlite3 db.sqlite "insert into t values(2)" 2>/dev/null; echo $?'
WANT_unknown_outputs_sqlite='*:8'
nix_own() { own; printf '{"name": "x", "outputs": {"out": "%s"}}\n' "$STORE/out" >"$W/attrs.json"; }
for c in nix_outputs_other nix_outputs_own nix_attrs_other nix_attrs_own; do
    eval "setup_$c() { nix_own; }"
done
CALL_nix_outputs_other='outputs="out dev" out=$STORE/out dev=$STORE/out-dev $CALLS append $STORE/pkg/a.txt'
WANT_nix_outputs_other=$REFUSED
CALL_nix_outputs_own='outputs="out dev" out=$STORE/out dev=$STORE/out-dev $CALLS append $STORE/out/ro.txt'
BITES_nix_outputs_own=no # the build's own output behaves as without cowlink
CALL_nix_attrs_other='NIX_ATTRS_JSON_FILE=attrs.json out=$STORE/pkg $CALLS append $STORE/pkg/a.txt'
WANT_nix_attrs_other=$REFUSED
CALL_nix_attrs_own='NIX_ATTRS_JSON_FILE=attrs.json $CALLS append $STORE/out/ro.txt'
BITES_nix_attrs_own=no
one outputs_logged '$CALLS append a.txt' '*:ok'
check_outputs_logged() {
    grep -q "^cowlink: outputs pid=[0-9]* prog=calls from=none (unknown" "$LOG" ||
        { echo "  log: $(cat "$LOG" 2>/dev/null)"; return 1; }
}

# 27. cowlink's own writes obey its rule: the log, opened at each event,
#     is not written through its name once it has become a link to a store
#     file, nor in its directory once that has become a link to a store
#     directory (root on a writable store: the old library wrote both).
add log_name_turns_link log_dir_turns_link log_to_stderr
one log_name_turns_link 'COWLINK_LOG=$PWD/ev.log $CALLS log_turns ev.log $STORE/pkg/b.txt a.txt x.attr' '*:ok'
setup_log_dir_turns_link() { base; mkdir -p "$W/logs"; }
CALL_log_dir_turns_link='COWLINK_LOG=$PWD/logs/ev.log $CALLS log_turns logs $STORE/pkg a.txt x.attr'
WANT_log_dir_turns_link='*:ok'
check_log_name_turns_link() { is_private a.txt && is_private x.attr && grep -q "not writing the log" "$T/stderr"; }
check_log_dir_turns_link() { check_log_name_turns_link; }
# A log name that is a link outside the store is still followed.
one log_to_stderr 'COWLINK_LOG=/dev/stderr $CALLS append a.txt 2>&1 | grep -c "event=copy"' '*:1'
# posix_spawn's deferred open below a link to a store directory: refused
# when it is added (its error number returned, as posix_spawn reports the
# child's failed open).
add child_addopen_below_dirlink
one child_addopen_below_dirlink '$CALLS child addopen pkgdir/a.txt' "$REFUSED"
# A limit: system() and popen() start their shell with glibc's own
# posix_spawn and environ, out of cowlink's sight; a program that removed
# the library from its own LD_PRELOAD first starts the shell without it.
# Shown where the store cannot be written (as root on a writable store the
# shell would append to the store file).
add child_system_limit
one child_system_limit '$CALLS child system a.txt'
MODES_child_system_limit='root-ro nobody'
BITES_child_system_limit=no
check_child_system_limit() { is_link a.txt; }
# A limit: an open added after a chdir action is checked relative to the
# working directory of the moment, not the directory the child changes to.
add child_addchdir_limit
one child_addchdir_limit '$CALLS child addchdir pkgdir/a.txt'
MODES_child_addchdir_limit='root-ro nobody'
BITES_child_addchdir_limit=no

# 28. Names cowlink cannot turn into a path are placed by descriptor
#     (issue 26): a name it cannot place is refused, never passed.
# deep_dirs DIR: 25 directories of 200 characters below the store's DIR
# (deeper than PATH_MAX), a file f at the bottom, sealed as Nix leaves
# them (seal's find -exec cannot name them).
deep_dirs() {
    local n
    n=$(printf 'd%.0s' $(seq 200))
    (mkdir -p "$STORE_SRC/$1" && cd "$STORE_SRC/$1" &&
        for _ in $(seq 25); do mkdir "$n" && cd "$n" || exit 1; done &&
        printf old >f && chmod 0444 f &&
        for _ in $(seq 25); do cd .. && chmod 0555 "$n" || exit 1; done)
}
# With the outputs known, a relative name padded past 4 KB (its absolute
# path is longer than PATH_MAX) to a foreign store file.
own_case long_relative_name '$CALLS append "$(printf "./%.0s" $(seq 2029))$(realpath --relative-to=. "$STORE")/pkg/a.txt"' "$REFUSED"
# rm -rf and chmod -R (fts: names relative to descriptors) of a store path
# deeper than PATH_MAX.
own_case rm_rf_deep 'rm -rf $STORE/pkg/deep 2>/dev/null; echo $?' '*:1'
own_case chmod_r_deep 'chmod -R u+w $STORE/pkg/deep 2>/dev/null; echo $?' '*:1'
setup_rm_rf_deep() { own && deep_dirs pkg/deep; }
setup_chmod_r_deep() { own && deep_dirs pkg/deep; }
# Outputs unknown: a working directory reached through a link to a store
# directory, then deeper than PATH_MAX.
add deep_cwd_mkdir deep_cwd_append
for c in mkdir:x append:f; do
    eval "setup_deep_cwd_${c%%:*}() { base && deep_dirs pkg/deep; }"
    eval "CALL_deep_cwd_${c%%:*}='\$CALLS deep_in pkgdir/deep ${c%%:*} ${c#*:}'"
    eval "WANT_deep_cwd_${c%%:*}=\$REFUSED"
done
# A relative name with ".." from a store working directory (the kernel's
# walk, not a string, says where it lands).
add cwd_dotdot_mkdir
one cwd_dotdot_mkdir 'cd pkgdir && $CALLS mkdir sub/../x' "$REFUSED"
# AT_FDCWD with AT_EMPTY_PATH: the working directory itself.
add cwd_empty_fchownat cwd_empty_utimensat
one cwd_empty_fchownat 'cd pkgdir && $CALLS cwd_empty fchownat' "$NOT_OWNER"
one cwd_empty_utimensat 'cd pkgdir && $CALLS cwd_empty utimensat' "$NOT_OWNER"
# A thread learns the working directory's class while another changes it
# to a store directory: the class learnt is not kept for the new one.
add chdir_race
one chdir_race '$CALLS chdir_race pkgdir ro' "$REFUSED"
# ro: read-only, outside the store: the old library's longest look
setup_chdir_race() { base && store_file pkg/probe p && mkdir -p "$W/ro" && touch "$W/ro/probe" && chmod 0555 "$W/ro"; }
# open(existing, O_RDONLY|O_CREAT), as flock FILE does: nothing is
# created or written, so it is not refused.
own_case flock_store_file '$CALLS create_rdonly $STORE/pkg/a.txt'
own_case flock_program 'flock $STORE/pkg/a.txt true; echo $?' '*:0'
add flock_below_dirlink
one flock_below_dirlink '$CALLS create_rdonly pkgdir/a.txt'
BITES_flock_store_file=no BITES_flock_program=no BITES_flock_below_dirlink=no
# A directory exchanged with a link to a store directory while a program
# appends below it, changes a mode, truncates, makes directories, renames
# a file there and back (both names on one descriptor), makes temporary
# files there (mkstemp, mkdtemp), reopens a stream there (freopen: these
# two were made by the caller's path, and the store changed): the call is
# made on the directory cowlink looked at (the *at form on its
# descriptor, or /proc/self/fd/N/NAME), so the exchange cannot redirect
# it into the store.
add swap_race
setup_swap_race() { base && mkdir -p "$W/d" && printf old >"$W/d/a.txt"; }
CALL_swap_race='$CALLS swap_race d pkgdir a.txt'
WANT_swap_race='*:done'
# A file exchanged with a link to a store file while a program appends to
# it: the open is made with O_NOFOLLOW where cowlink saw no link, and a
# link found there then is placed again (made private).
add swap_last_race
setup_swap_last_race() { base && mkdir -p "$W/d" && printf old >"$W/d/a.txt" && ln -s "$STORE/pkg/a.txt" "$W/d/l"; }
CALL_swap_last_race='$CALLS swap_last_race d/a.txt d/l'
WANT_swap_last_race='*:done'

# 29. Links in /proc stand for objects their text cannot name (a pipe's
#     reads "pipe:[N]"): /dev/stdin on a pipe, a process substitution's
#     /dev/fd/63.  The call goes through the link, as without cowlink
#     (the placement once opened where the text led, and failed).
add proc_link_stdin proc_link_subst
one proc_link_stdin 'echo x | $CALLS append /dev/stdin' '*:ok'
one proc_link_subst 'bash -c "echo x > >(cat >/dev/null) && echo ok"' '*:ok'
BITES_proc_link_stdin=no BITES_proc_link_subst=no

# 30. A file exchanged for a link to a store file between cowlink's look
#     and the call, for the calls made through /proc (chmod, truncate,
#     utimensat, setxattr) and fopen: tests/store/pause.c holds the call's
#     thread at its first act on the name while the exchange is made, what
#     a race does once in many runs, every run.  The call acts on the file
#     cowlink looked at, or finds the link and places the name again (the
#     link is then made private): it never follows a link it did not see.
SWAP_TO_STORE='"$BIN/pause" f.txt "rm f.txt && ln -s \"\$STORE/pkg/a.txt\" f.txt"'
add swap_file_chmod swap_file_truncate swap_file_utimensat swap_file_setxattr swap_file_fopen
add swap_file_freopen swap_new_freopen
setup_swap_file() { base && printf new >"$W/f.txt"; }
for name in chmod truncate utimensat setxattr fopen; do
    eval "setup_swap_file_$name() { setup_swap_file; }"
done
CALL_swap_file_chmod="$SWAP_TO_STORE \$CALLS chmod f.txt 600 >/dev/null; stat -L -c %a f.txt"
WANT_swap_file_chmod='*:600'
CALL_swap_file_truncate="$SWAP_TO_STORE \$CALLS truncate f.txt 1 >/dev/null; cat f.txt; echo"
WANT_swap_file_truncate='*:o'
CALL_swap_file_utimensat="$SWAP_TO_STORE \$CALLS utimensat f.txt set >/dev/null; stat -L -c %Y f.txt"
WANT_swap_file_utimensat='*:1000'
CALL_swap_file_setxattr="$SWAP_TO_STORE \$CALLS setxattr f.txt >/dev/null; getfattr --only-values -n user.cow f.txt 2>&1 | tail -c 1; echo"
WANT_swap_file_setxattr='*:1'
CALL_swap_file_fopen="$SWAP_TO_STORE \$CALLS fopen f.txt w >/dev/null; cat f.txt"
WANT_swap_file_fopen='*:x'
CALL_swap_file_freopen="$SWAP_TO_STORE \$CALLS freopen_path f.txt >/dev/null; cat f.txt"
WANT_swap_file_freopen='*:x'
setup_swap_file_freopen() { setup_swap_file; }
# the name is missing when cowlink looks, and a link is put there then
setup_swap_new_freopen() { base; }
CALL_swap_new_freopen='"$BIN/pause" f.txt "ln -s \"\$STORE/pkg/a.txt\" f.txt" $CALLS freopen_path f.txt >/dev/null; cat f.txt'
WANT_swap_new_freopen='*:x'

# 30b. The name's directory is missing when cowlink looks, and a link to a
#      store directory is put there before the call: cowlink fails the
#      call with the kernel's ENOENT of that moment, made nowhere, where
#      the call by the caller's path (held by pause.c) followed the new
#      link into the store.  NO_CALL_NAME: with cowlink no call is made,
#      so pause.c holds none.
MISSING_TO_STORE='"$BIN/pause" new "ln -s \"\$STORE/pkg\" gone"'
add swap_missing_dir_mkdir swap_missing_dir_create
one swap_missing_dir_mkdir "$MISSING_TO_STORE \$CALLS mkdir gone/new" '*:ENOENT'
one swap_missing_dir_create "$MISSING_TO_STORE \$CALLS create gone/new" '*:ENOENT'
NO_CALL_swap_missing_dir_mkdir=1 NO_CALL_swap_missing_dir_create=1

# 30c. A name that is a directory as a whole (a trailing slash) that the
#      kernel's lookup does not find as a directory: not made by the
#      caller's path (the previous library made mkdir pkgdir/d/ so, in the
#      store as root on a writable store).  A name call is placed as a name
#      in its directory (the slash kept, the kernel's to judge there); a
#      call that follows the name meets the lookup's error (a create with
#      a slash: EISDIR), and no call is made.
add below_dirlink_mkdir_slash mkdir_slash mkdir_slash_missing_dir create_slash chmod_slash_missing
one below_dirlink_mkdir_slash '$CALLS mkdir pkgdir/d/' "$REFUSED"
one mkdir_slash '$CALLS mkdir d/' '*:ok'
check_mkdir_slash() { [ -d "$W/d" ]; }
one mkdir_slash_missing_dir '$CALLS mkdir gone/d//' '*:ENOENT'
one create_slash '$CALLS create pkgdir/new/ 644' '*:EISDIR'
one chmod_slash_missing '$CALLS chmod pkgdir/new/ 644' '*:ENOENT'
BITES_mkdir_slash=no BITES_mkdir_slash_missing_dir=no BITES_create_slash=no BITES_chmod_slash_missing=no
# ... and one that finds it: the name call is made on the entry of the
# directory cowlink opened, d/ (held by pause.c as that open returns,
# while d is exchanged for a link to a store directory), not by the
# caller's path, which the previous library followed into the store.
add swap_dir_rmdir_slash
setup_swap_dir_rmdir_slash() { base && mkdir -p "$W/d/sub"; }
CALL_swap_dir_rmdir_slash='r=$(PAUSE_AT_EXIT=1 "$BIN/pause" d "mv d d.old && ln -s \"\$STORE/pkg\" d" $CALLS rmdir d/sub/); echo $r,$(ls -d d.old/sub 2>/dev/null | wc -l)'
WANT_swap_dir_rmdir_slash='*:ok,0'
BITES_swap_dir_rmdir_slash=no

# 31. A name with no directory part, and another thread changing the
#     working directory to a store directory between cowlink's look and
#     the call (calls.c chdir_on_signal, held by pause.c): the call is made
#     in the directory cowlink opened and decided by, "." as it was.  Held
#     at the call itself: the directory is made where the program was;
#     held at cowlink's open of ".": the store directory is refused.
add chdir_at_call chdir_at_look
# (the action waits at most 10 s for the thread to have moved)
CHDIR_ACTION='"kill -USR1 \$PAUSED_PID; for i in \$(seq 1000); do [ -e ../moved ] && break; sleep 0.01; done"'
setup_chdir_at_call() { base && mkdir -p "$W/here"; }
setup_chdir_at_look() { setup_chdir_at_call; }
CALL_chdir_at_call="cd here && \"\$BIN/pause\" made $CHDIR_ACTION \$CALLS chdir_on_signal \$STORE/pkg \"$W/moved\" made >/dev/null; ls -d \"$W\"/here/made 2>/dev/null | wc -l"
WANT_chdir_at_call='*:1'
CALL_chdir_at_look="cd here && \"\$BIN/pause\" . $CHDIR_ACTION \$CALLS chdir_on_signal \$STORE/pkg \"$W/moved\" made"
WANT_chdir_at_look="$REFUSED"

# 32. The library's constructors keep the program's errno: main starts
#     with what it starts with without the library (it was EINVAL).
add errno_at_start
one errno_at_start '$CALLS errno_at_start .'
BITES_errno_at_start=no

# 33. Without /proc (unmounted in a mount namespace of its own: unshare
#     needs root), a store link is made private all the same (as root the
#     store is not changed) ...
NO_PROC='unshare --mount --propagation private sh -c "umount -l /proc && exec \$CALLS'
# ... where cowlink can tell the work directory's mount from a store's
# without the mount table. In root-ro the store is a read-only bind of
# itself: from the mount beneath it, the directory it covers cannot be
# told without the table, so where that mount is not the root's (a tmpfs
# /tmp holding work and store), cowlink refuses every write on it, fail
# closed (no_proc_ro_limit shows it), and these cases run root-rw alone.
if [ "$(stat -c %m /tmp)" = / ]; then NO_PROC_MODES="root-ro root-rw"; else
    NO_PROC_MODES=root-rw
    add no_proc_ro_limit
    one no_proc_ro_limit "$NO_PROC chmod a.txt 600\"" '*:EROFS'
    MODES_no_proc_ro_limit=root-ro BITES_no_proc_ro_limit=no
fi
add no_proc_chmod no_proc_truncate no_proc_utimes no_proc_setxattr
one no_proc_chmod "$NO_PROC chmod a.txt 600\"" '*:ok'
one no_proc_truncate "$NO_PROC truncate a.txt 1\"" '*:ok'
one no_proc_utimes "$NO_PROC utimes a.txt set\"" '*:ok'
one no_proc_setxattr "$NO_PROC setxattr a.txt\"" '*:ok'
check_no_proc_chmod() { is_private a.txt && content a.txt old && [ "$(stat -c %a "$W/a.txt")" = 600 ]; }
check_no_proc_truncate() { is_private a.txt && content a.txt o; }
check_no_proc_utimes() { private_old && [ "$(stat -c %Y "$W/a.txt")" = 1000 ]; }
check_no_proc_setxattr() { private_old && getfattr -n user.cow "$W/a.txt" >/dev/null; }
MODES_no_proc_chmod=$NO_PROC_MODES MODES_no_proc_truncate=$NO_PROC_MODES
MODES_no_proc_utimes=$NO_PROC_MODES MODES_no_proc_setxattr=$NO_PROC_MODES
# ... and a file exchanged for a link to a store file after cowlink opened
# it (O_PATH: pause.c holds the program when that open returns) is not
# followed: the change of mode, owner or times is made on the file opened
# (fchmodat2, fchownat, utimensat with AT_EMPTY_PATH), the link is left
# as it is (the previous library made the call by its path and followed
# the link: EROFS, and as root on a writable store the store changed).
# They print the result and what f.txt is then.
SWAPPED_TO_STORE="PAUSE_AT_EXIT=1 $SWAP_TO_STORE $NO_PROC"
WHAT_F='echo $r,$(test -L f.txt && echo link)'
add no_proc_swap_chmod no_proc_swap_chown no_proc_swap_utimensat
CALL_no_proc_swap_chmod="r=\$($SWAPPED_TO_STORE chmod f.txt 600\"); $WHAT_F"
CALL_no_proc_swap_chown="r=\$($SWAPPED_TO_STORE chown f.txt 0 0\"); $WHAT_F"
CALL_no_proc_swap_utimensat="r=\$($SWAPPED_TO_STORE utimensat f.txt set\"); $WHAT_F"
for name in chmod chown utimensat; do
    eval "setup_no_proc_swap_$name() { setup_swap_file; }"
    eval "WANT_no_proc_swap_$name='*:ok,link' MODES_no_proc_swap_$name='$NO_PROC_MODES'"
    # without the library the call is held after it is made (nothing to
    # bite); the previous library changed the store (root-rw), or met EROFS
    eval "BITES_no_proc_swap_$name=no"
done
# truncate and the extended attribute calls take no O_PATH descriptor:
# truncate opens the name for writing in cowlink's descriptor of its
# directory, following no link, and checks it is the file opened;
# setxattr and removexattr are made by setxattrat and removexattrat
# (Linux 6.13) on that name, following no link.  The link found there
# then is placed again and made private, and the call made on the copy
# (the previous library made them by the caller's path and followed the
# link: as root on a writable store, the store changed).
add no_proc_swap_truncate no_proc_swap_setxattr no_proc_swap_removexattr
setup_no_proc_swap_truncate() { setup_swap_file; }
CALL_no_proc_swap_truncate="r=\$($SWAPPED_TO_STORE truncate f.txt 1\"); $WHAT_F"
check_no_proc_swap_truncate() { is_private f.txt && content f.txt o; }
setup_no_proc_swap_setxattr() { setup_swap_file; }
CALL_no_proc_swap_setxattr="r=\$($SWAPPED_TO_STORE setxattr f.txt\"); $WHAT_F"
check_no_proc_swap_setxattr() { is_private f.txt && content f.txt old && getfattr -n user.cow "$W/f.txt" >/dev/null; }
setup_no_proc_swap_removexattr() { base && printf new >"$W/f.txt" && setfattr -n user.cow -v 2 "$W/f.txt"; }
SWAP_TO_ATTR='"$BIN/pause" f.txt "rm f.txt && ln -s \"\$STORE/pkg/x.attr\" f.txt"'
CALL_no_proc_swap_removexattr="r=\$(PAUSE_AT_EXIT=1 $SWAP_TO_ATTR $NO_PROC removexattr f.txt\"); $WHAT_F"
check_no_proc_swap_removexattr() { is_private f.txt && content f.txt attr; }
for name in truncate setxattr removexattr; do
    eval "WANT_no_proc_swap_$name='*:ok,' MODES_no_proc_swap_$name='$NO_PROC_MODES'"
    eval "BITES_no_proc_swap_$name=no"
done
WANT_no_proc_swap_removexattr='*:ENODATA,' # the copy has no attribute
# A directory exchanged for a link to a store directory after cowlink
# opened it, for lremovexattr (no link followed at the end): made on the
# name in the directory cowlink opened (the previous library made it by
# the caller's path, through the new link, in the store).
add no_proc_swap_lremovexattr
setup_no_proc_swap_lremovexattr() {
    base && mkdir "$W/d" && printf new >"$W/d/x.attr" && setfattr -n user.cow -v 2 "$W/d/x.attr"
}
CALL_no_proc_swap_lremovexattr="r=\$(PAUSE_AT_EXIT=1 \"\$BIN/pause\" d \"mv d d.old && ln -s \\\"\$STORE/pkg\\\" d\" $NO_PROC lremovexattr d/x.attr\"); echo \$r,\$(getfattr -n user.cow d.old/x.attr 2>/dev/null | grep -c cow)"
WANT_no_proc_swap_lremovexattr='*:ok,0'
MODES_no_proc_swap_lremovexattr=$NO_PROC_MODES
BITES_no_proc_swap_lremovexattr=no
# The same for a name in the caller's own directory descriptor
# (fchmodat(d, "f.txt")): opened in it with no link followed, also where
# openat2 is missing (the previous library made it by the caller's
# descriptor and name there, and followed the link).  Held as cowlink
# opens it: the link is found, and placed again; without /proc a link
# relative to a descriptor cannot be followed by cowlink: refused.
add no_proc_swap_chmod_at
setup_no_proc_swap_chmod_at() { setup_swap_file; }
CALL_no_proc_swap_chmod_at="r=\$($SWAP_TO_STORE $NO_PROC at . chmod f.txt\"); $WHAT_F"
WANT_no_proc_swap_chmod_at='*:EROFS,link'
MODES_no_proc_swap_chmod_at=$NO_PROC_MODES
BITES_no_proc_swap_chmod_at=no
# A directory as a whole (a trailing slash): made on cowlink's descriptor
# of it (fchmodat2 with AT_EMPTY_PATH), not by the caller's path through
# the link put there since.
add no_proc_swap_chmod_dir
setup_no_proc_swap_chmod_dir() { base && mkdir -m 755 "$W/d"; }
CALL_no_proc_swap_chmod_dir="r=\$(PAUSE_AT_EXIT=1 \"\$BIN/pause\" d \"mv d d.old && ln -s \\\"\$STORE/pkg\\\" d\" $NO_PROC chmod d/ 700\"); echo \$r,\$(stat -c %a d.old)"
WANT_no_proc_swap_chmod_dir='*:ok,700'
MODES_no_proc_swap_chmod_dir=$NO_PROC_MODES
BITES_no_proc_swap_chmod_dir=no
# Where the kernel has neither /proc nor the call's form on a descriptor
# (before 6.6: no fchmodat2; before 6.13: no setxattrat), the call is
# refused (EROFS, one line), not made by the caller's path, which would
# follow the link put there meanwhile.
OLD_KERNEL="PAUSE_AT_EXIT=1 $SWAP_TO_STORE \"\$BIN/no-openat2\" --old-kernel $NO_PROC"
add no_proc_swap_no_xattrat no_proc_swap_no_fchmodat2
setup_no_proc_swap_no_xattrat() { setup_swap_file; }
setup_no_proc_swap_no_fchmodat2() { setup_swap_file; }
CALL_no_proc_swap_no_xattrat="r=\$($OLD_KERNEL setxattr f.txt\"); $WHAT_F"
CALL_no_proc_swap_no_fchmodat2="r=\$($OLD_KERNEL chmod f.txt 600\"); $WHAT_F"
for name in no_xattrat no_fchmodat2; do
    eval "WANT_no_proc_swap_$name='*:EROFS,link' MODES_no_proc_swap_$name='$NO_PROC_MODES'"
    eval "BITES_no_proc_swap_$name=no"
done

# 34. A name with no directory part is placed in "." opened as a
#     descriptor (chdir_at_call, chdir_at_look); where the descriptor
#     table is full it cannot be: refused with EMFILE and one line, and
#     not made by its name, which another thread's chdir to a store
#     directory could move there (the previous library did: as root on a
#     writable store, the store changed).  It prints the call's result and
#     how many "made" are where the program was.  NO_CALL: pause.c holds
#     no call with cowlink.
add emfile_chdir
setup_emfile_chdir() { setup_chdir_at_call; }
CALL_emfile_chdir="cd here && r=\$(\"\$BIN/pause\" made $CHDIR_ACTION \$CALLS emfile_known_cwd chdir_on_signal \$STORE/pkg \"$W/moved\" made); echo \$r,\$(ls -d \"$W\"/here/made 2>/dev/null | wc -l)"
WANT_emfile_chdir='*:EMFILE,0'
NO_CALL_emfile_chdir=1
BITES_emfile_chdir=no
