# crane's mkLib, from its own flake, with what needs the network replaced
# (test.nix, and flakes/crane for `nix flake check`):
#   downloadCargoPackage  one store path per crate, as crane's makes from the
#                         crate's crates.io tarball: here Debian's sources of
#                         it (or crates/'s), with the checksum file crane
#                         writes; crane's own vendorCargoDeps links them
#                         into its vendor directory
#   craneUtils            crane-json2toml.py (crane-utils needs crates newer
#                         than Debian's)
#   mkDummySrc            crane's own, twice adapted.  Debian's Nix 2.8 hands
#                         string paths such as ".../Cargo.toml/../src" to the
#                         kernel where newer Nix normalizes them, so its code
#                         is evaluated with a readDir and a pathExists that
#                         normalize first.  With Debian's rustc 1.63 its
#                         dummy source is dummy-old-rustc.rs (crane's own
#                         `dummyrs` argument).
{
  craneSrc, # crane's checkout (a path, or a flake input)
  rustBin ? "", # "" = Debian's toolchain
  registry ? "/usr/share/cargo/registry",
}:
{
  mkLib =
    p:
    let
      inherit (p) lib;
      run = p.buildPackages.runCommand;
      downloadCargoPackage =
        {
          name,
          version,
          checksum,
          ...
        }:
        let
          # Debian names a directory without the version's build metadata (+...).
          dir = "${name}-${builtins.head (builtins.split "[+]" version)}";
        in
        run "cargo-package-${name}-${version}"
          {
            crate = if builtins.pathExists (./crates + "/${dir}") then ./crates + "/${dir}" else "${registry}/${dir}";
            inherit checksum;
          }
          ''
            # Debian names most directories NAME-VERSION, not all (md-5's
            # is md-0.10.1): else the one whose Cargo.toml is this crate.
            [ -d "$crate" ] || crate=$(dirname "$(grep -l -x 'version = "${version}"' \
              $(grep -l -x 'name = "${name}"' ${registry}/*/Cargo.toml) | head -1)")
            # Links are followed (crates.io's tarballs have none); a link
            # to nothing (criterion's LICENSE files in Debian) is left out.
            mkdir $out
            (cd "$crate" && find -L . -type l) >broken
            tar -C "$crate" --dereference -X broken -cf - . | tar -C $out -xf -
            chmod -R u+w $out
            echo "{\"files\":{}, \"package\":\"$checksum\"}" >$out/.cargo-checksum.json
          '';
      craneUtils = run "crane-utils" { script = ./crane-json2toml.py; } ''
        mkdir -p $out/bin
        cp "$script" $out/bin/crane-json2toml
        chmod +x $out/bin/crane-json2toml
      '';
      normalize =
        path:
        let
          step = acc: x: if x == "" || x == "." then acc else if x == ".." then lib.init acc else acc ++ [ x ];
          parts = lib.splitString "/" (builtins.unsafeDiscardStringContext (toString path));
        in
        "/" + lib.concatStringsSep "/" (builtins.foldl' step [ ] parts);
      nix28 = builtins // {
        readDir = path: builtins.readDir (normalize path);
        pathExists = path: builtins.pathExists (normalize path);
      };
    in
    (((import (craneSrc + "/flake.nix")).outputs { }).mkLib p).overrideScope (
      final: _prev: {
        inherit craneUtils downloadCargoPackage;
        mkDummySrc =
          args:
          final.callPackage (scopedImport { builtins = nix28; } (craneSrc + "/lib/mkDummySrc.nix")) { } (
            lib.optionalAttrs (rustBin == "") { dummyrs = ./dummy-old-rustc.rs; } // args
          );
      }
    );
}
