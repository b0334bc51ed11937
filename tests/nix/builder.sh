# The builder of test.nix: the few parts of stdenv and crane these tests
# need, modelled in bash.
set -euo pipefail
export PATH=/usr/bin:/bin HOME=$PWD/home CARGO_HOME=$PWD/cargo-home
prePatchHooks=() postPatchHooks=()
runHook() { local h; eval 'for h in "${'"$1"'Hooks[@]}"; do "$h"; done'; }

# stdenv: source the setup hooks of nativeBuildInputs (cowlink's).
for p in ${nativeBuildInputs:-}; do
    if [ -f "$p/nix-support/setup-hook" ]; then source "$p/nix-support/setup-hook"; fi
done

# crane's use-symlink inheritance, registered after cowlink's hook ran:
# copy all but deps/*.rlib|rmeta with owner write, link those.
inheritCargoArtifacts() {
    local from=${1:-$cargoArtifacts}/target to=${2:-target} f
    mkdir -p "$to"
    rsync --recursive --links --times --chmod=u+w --executability \
        --exclude 'deps/*.rlib' --exclude 'deps/*.rmeta' --exclude .cargo-lock "$from/" "$to/"
    (cd "$from" && find . \( -path '*/deps/*.rlib' -o -path '*/deps/*.rmeta' \) -printf '%P\n') |
        while read -r f; do ln -s "$from/$f" "$to/$f"; done
}
if [ -n "${cargoArtifacts:-}" ]; then postPatchHooks+=(inheritCargoArtifacts); fi

# stdenv's unpack keeps the store's mtimes (1); then the phases.
cp -pr "$src" source
chmod -R u+w source
cd source
runHook prePatch
runHook postPatch
cargo build --release
mkdir -p "$out"
./target/release/zver >"$out/app.out"
id -un >"$out/builder-user"

# crane's symlink install: files identical to the parent's become links.
cp -a target "$out/target"
rm -f "$out/target/release/.cargo-lock"
if [ -n "${cargoArtifacts:-}" ]; then
    (cd "$out/target" && find . -type f -printf '%P\n') | while read -r f; do
        p=$cargoArtifacts/target/$f
        if [ -f "$p" ] && cmp -s "$out/target/$f" "$p"; then ln -sf "$p" "$out/target/$f"; fi
    done
fi
