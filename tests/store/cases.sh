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

# 1. A link inside the store, by its store path or below a directory link:
#    cowlink must not make it private (its temporary file would be created
#    in the store); a stat through it shows the store's mode.
add inside_by_store_path inside_via_dirlink inside_stat_view
setup_inside_by_store_path() { base; }
CALL_inside_by_store_path='$CALLS append $STORE/pkg/b.link'
WANT_inside_by_store_path=$REFUSED
setup_inside_via_dirlink() { base; }
CALL_inside_via_dirlink='$CALLS append pkgdir/b.link'
WANT_inside_via_dirlink=$REFUSED
setup_inside_stat_view() { base; }
CALL_inside_stat_view='$CALLS stat pkgdir/b.link'
BITES_inside_stat_view=no

# 2. Links to a store directory, or to the store itself.
add dirlink_chmod storeroot_chmod dirlink_chown dirlink_utimens dirlink_setxattr
add below_dirlink_trunc below_dirlink_create below_dirlink_excl below_dirlink_mkdir
add below_dirlink_unlink below_dirlink_rename below_dirlink_symlink dirlink_access
setup_dirlink_chmod() { base; }
CALL_dirlink_chmod='$CALLS chmod pkgdir 777'
WANT_dirlink_chmod=$NOT_OWNER
setup_storeroot_chmod() { base; }
CALL_storeroot_chmod='$CALLS chmod s 777'
WANT_storeroot_chmod=$NOT_OWNER
setup_dirlink_chown() { base; }
CALL_dirlink_chown='$CALLS chown pkgdir 0 0'
WANT_dirlink_chown=$NOT_OWNER
setup_dirlink_utimens() { base; }
CALL_dirlink_utimens='$CALLS utimensat pkgdir set'
WANT_dirlink_utimens=$NOT_OWNER
setup_dirlink_setxattr() { base; }
CALL_dirlink_setxattr='$CALLS setxattr pkgdir'
WANT_dirlink_setxattr=$REFUSED
setup_below_dirlink_trunc() { base; }
CALL_below_dirlink_trunc='$CALLS trunc pkgdir/a.txt'
WANT_below_dirlink_trunc=$REFUSED
setup_below_dirlink_create() { base; }
CALL_below_dirlink_create='$CALLS create pkgdir/new 644'
WANT_below_dirlink_create=$REFUSED
setup_below_dirlink_excl() { base; }
CALL_below_dirlink_excl='$CALLS create_excl pkgdir/new'
WANT_below_dirlink_excl=$REFUSED
setup_below_dirlink_mkdir() { base; }
CALL_below_dirlink_mkdir='$CALLS mkdir pkgdir/d'
WANT_below_dirlink_mkdir=$REFUSED
setup_below_dirlink_unlink() { base; }
CALL_below_dirlink_unlink='$CALLS unlink pkgdir/a.txt'
WANT_below_dirlink_unlink=$REFUSED
setup_below_dirlink_rename() { base; }
CALL_below_dirlink_rename='$CALLS rename pkgdir/a.txt moved'
WANT_below_dirlink_rename='nobody:EACCES root-ro:EROFS root-rw:EROFS'
setup_below_dirlink_symlink() { base; }
CALL_below_dirlink_symlink='$CALLS symlink pkgdir/l'
WANT_below_dirlink_symlink=$REFUSED
setup_dirlink_access() { base; }
CALL_dirlink_access='$CALLS access_w pkgdir'
BITES_dirlink_access=no

# 5. Links cowlink cannot follow are refused, never passed.
add deep_cwd deleted_cwd no_proc
setup_deep_cwd() { base; }
CALL_deep_cwd='$CALLS deep_cwd $STORE/pkg/a.txt'
WANT_deep_cwd=$UNKNOWN
setup_deleted_cwd() { base; }
CALL_deleted_cwd='$CALLS deleted_cwd $STORE/pkg/a.txt'
WANT_deleted_cwd=$UNKNOWN
setup_no_proc() { base; }
CALL_no_proc='unshare --mount --propagation private sh -c "umount -l /proc && exec \$CALLS via_dirfd . a.txt"'
WANT_no_proc=$UNKNOWN
MODES_no_proc="root-ro root-rw"

# 6. Calls that were not intercepted.
add link_follow setxattr removexattr fd_fchmod fd_fchown fd_futimens fd_futimens_now
add fd_utimensat fd_futimesat fd_fchownat_empty fd_fsetxattr fd_fremovexattr fd_setflags
add fd_linkat_empty freopen_null
setup_link_follow() { base; }
CALL_link_follow='$CALLS link_follow a.txt hard'
WANT_link_follow='nobody:EPERM root-ro:EXDEV root-rw:EXDEV'
setup_setxattr() { base; }
CALL_setxattr='$CALLS setxattr a.txt'
WANT_setxattr='*:ok'
check_setxattr() { is_private a.txt && content a.txt old && getfattr -n user.cow "$W/a.txt" >/dev/null; }
# The private copy does not carry the store file's extended attributes
# (Nix store files have none): removing one finds nothing.
setup_removexattr() { base; }
CALL_removexattr='$CALLS removexattr x.attr'
WANT_removexattr='*:ENODATA'
check_removexattr() { is_private x.attr && content x.attr attr; }
for call in fchmod fchown futimens fchownat_empty utimensat futimesat; do
    eval "setup_fd_$call() { base; }"
    eval "CALL_fd_$call='\$CALLS fd ${call/utimensat/utimensat_fd} a.txt'"
    eval "WANT_fd_$call=\$NOT_OWNER"
done
CALL_fd_futimesat='$CALLS fd futimesat_fd a.txt'
setup_fd_futimens_now() { base; }
CALL_fd_futimens_now='$CALLS fd futimens_now a.txt'
WANT_fd_futimens_now=$REFUSED
setup_fd_fsetxattr() { base; }
CALL_fd_fsetxattr='$CALLS fd fsetxattr a.txt'
WANT_fd_fsetxattr=$REFUSED
setup_fd_fremovexattr() { base; }
CALL_fd_fremovexattr='$CALLS fd fremovexattr x.attr'
WANT_fd_fremovexattr=$REFUSED
# FS_IOC_SETFLAGS (chattr): file systems without flags say ENOTTY both ways.
setup_fd_setflags() { base; }
CALL_fd_setflags='$CALLS fd setflags a.txt'
WANT_fd_setflags=$NOT_OWNER
# Linking a descriptor needs CAP_DAC_READ_SEARCH: root only.
setup_fd_linkat_empty() { base; }
CALL_fd_linkat_empty='$CALLS fd linkat_empty a.txt'
WANT_fd_linkat_empty='*:EXDEV'
MODES_fd_linkat_empty="root-ro root-rw"
setup_freopen_null() { base; }
CALL_freopen_null='$CALLS freopen a.txt'
WANT_freopen_null=$REFUSED

# 7. fopen modes that glibc opens for writing.
add fopen_rplusx fopen_rxplus fopen_plus_sixth fopen_plus_seventh
for m in rplusx:r+x rxplus:rx+ plus_sixth:rbbbb+; do
    eval "setup_fopen_${m%%:*}() { base; }"
    eval "CALL_fopen_${m%%:*}='\$CALLS fopen a.txt ${m#*:}'"
    eval "WANT_fopen_${m%%:*}='*:ok'"
    eval "check_fopen_${m%%:*}() { is_private a.txt && content a.txt \$'x\nd'; }"
done
# glibc reads six characters after the first: this '+' is ignored, the
# stream is read-only and the write fails, with and without cowlink.
setup_fopen_plus_seventh() { base; }
CALL_fopen_plus_seventh='$CALLS fopen a.txt rbbbbbb+'
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
setup_chown_to_root() { base; }
CALL_chown_to_root='$CALLS chown a.txt 0 0'
MODES_chown_to_root=nobody
BITES_chown_to_root=no
check_chown_to_root() { is_link a.txt; }
setup_truncate_negative() { base; }
CALL_truncate_negative='$CALLS truncate a.txt -5'
BITES_truncate_negative=no
check_truncate_negative() { is_link a.txt; }

# 9. Results: no-ops succeed without a copy, errors are the plain call's.
add utimens_omit utimens_now_unwritable chown_noop opath_empty
setup_utimens_omit() { base; }
CALL_utimens_omit='$CALLS utimensat a.txt omit'
BITES_utimens_omit=no
check_utimens_omit() { is_link a.txt; }
setup_utimens_now_unwritable() { base; mkdir -p "$W/ro"; ln -s "$STORE/pkg/a.txt" "$W/ro/a.txt"; chmod 0555 "$W/ro"; }
CALL_utimens_now_unwritable='$CALLS utimensat ro/a.txt now'
MODES_utimens_now_unwritable=nobody
BITES_utimens_now_unwritable=no
setup_chown_noop() { base; }
CALL_chown_noop='$CALLS chown a.txt -1 -1'
WANT_chown_noop='*:ok'
check_chown_noop() { is_link a.txt; }
setup_opath_empty() { base; }
CALL_opath_empty='$CALLS fd opath_chown a.txt'
BITES_opath_empty=no

# 12. A relative log is not created in the store; a store bind-mounted
#     under another path is still the store; error lines name the target.
add relative_log bind_mounted error_names_target
setup_relative_log() { base; }
CALL_relative_log='cd $STORE/pkg && COWLINK_LOG=events.log $CALLS append $OLDPWD/a.txt'
WANT_relative_log='*:ok'
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
