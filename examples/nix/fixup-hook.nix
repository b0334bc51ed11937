# cowlink's fixup pass (cowlink-fixup-hook.sh) as a hook-only package.  It
# refers to nothing of cowlink's (no library, no command): derivations that
# use only this pass (lib.enable's deps builds, which inherit nothing) keep
# their hash when cowlink's library changes.
{ makeSetupHook }:

makeSetupHook { name = "cowlink-fixup-hook"; } ./cowlink-fixup-hook.sh
