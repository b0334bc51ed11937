# The crates of a Cargo.lock, vendored for crane's cargoVendorDir: the
# sources Debian's librust-*-dev packages install (registry), or this
# directory's crates/ for the ones Debian does not have; config.toml points
# crates-io at them (crane appends it to $CARGO_HOME/config.toml).
{ pkgs, lockFile, registry }:
let
  lock = builtins.fromTOML (builtins.readFile lockFile);
  vendored = builtins.filter (p: p ? source) lock.package;
in
pkgs.runCommand "vendor-cargo-deps"
  {
    # Debian names a directory without the version's build metadata (+...).
    crates = map (p: "${p.name}-${builtins.head (builtins.split "[+]" p.version)}") vendored;
    inherit registry;
    own = ./crates;
  }
  ''
    mkdir -p $out/crates
    for c in $crates; do
      if [ -d "$own/$c" ]; then cp -r "$own/$c" $out/crates/; else cp -rL "$registry/$c" $out/crates/; fi
    done
    printf '[source.crates-io]\nreplace-with = "vendored"\n[source.vendored]\ndirectory = "%s"\n' \
      "$out/crates" >$out/config.toml
  ''
