# crane's quick-start flake (crane's examples/quick-start) with cowlink:
# the `cowlink` input and the line that makes craneLib are the only
# changes cowlink asks for.  Copy it next to your Cargo.toml.  (Trimmed
# here to what tests/nix builds: no cargo-audit, cargo-deny or taplo
# checks; a cargoTest check and a package that installs data files added.)
{
  description = "Build a cargo project";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    crane.url = "github:ipetkov/crane";
    flake-utils.url = "github:numtide/flake-utils";
    cowlink = {
      url = "github:OWNER/cowlink?dir=examples/nix"; # your copy of cowlink
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      crane,
      flake-utils,
      cowlink,
      ...
    }:
    flake-utils.lib.eachDefaultSystem (
      system:
      let
        pkgs = nixpkgs.legacyPackages.${system};

        inherit (pkgs) lib;

        craneLib = cowlink.lib.enable (crane.mkLib pkgs);
        src = craneLib.cleanCargoSource ./.;

        # Common arguments can be set here to avoid repeating them later
        commonArgs = {
          inherit src;
          strictDeps = true;

          # What the crates' build scripts run (libz-sys asks pkg-config)
          nativeBuildInputs = [ pkgs.pkg-config ];

          buildInputs = [
            # Add additional build inputs here
          ]
          ++ lib.optionals pkgs.stdenv.isDarwin [
            # Additional darwin specific inputs can be set here
            pkgs.libiconv
          ];
        };

        # Build *just* the cargo dependencies, so we can reuse
        # all of that work (e.g. via cachix) when running in CI
        cargoArtifacts = craneLib.buildDepsOnly commonArgs;

        # Build the actual crate itself, reusing the dependency
        # artifacts from above.
        my-crate = craneLib.buildPackage (
          commonArgs
          // {
            inherit cargoArtifacts;
          }
        );

        # The crate again, with data files from the store (read-only
        # there) installed the ways packages do.
        my-crate-data = craneLib.buildPackage (
          commonArgs
          // {
            inherit cargoArtifacts;
            pname = "nixapp-data";
            postInstall = ''
              mkdir -p $out/share/nixapp/tar
              cp -a ${./assets} $out/share/nixapp/cp-a
              cp -p ${./assets/greeting.txt} $out/share/nixapp/cp-p.txt
              tar -C ${./assets} -cf - . | tar -C $out/share/nixapp/tar -xf -
              install -m 644 ${./assets/greeting.txt} $out/share/nixapp/install.txt
              # cp -a and tar keep the store's read-only directories, where
              # crane's reference removal (sed -i) could not write.
              chmod -R u+w $out/share/nixapp
            '';
          }
        );
      in
      {
        checks = {
          # Build the crate as part of `nix flake check` for convenience
          inherit my-crate;

          # Run clippy (and deny all warnings) on the crate source,
          # again, reusing the dependency artifacts from above.
          my-crate-clippy = craneLib.cargoClippy (
            commonArgs
            // {
              inherit cargoArtifacts;
              cargoClippyExtraArgs = "--all-targets -- --deny warnings";
            }
          );

          my-crate-doc = craneLib.cargoDoc (
            commonArgs
            // {
              inherit cargoArtifacts;
              env.RUSTDOCFLAGS = "--deny warnings";
            }
          );

          my-crate-test = craneLib.cargoTest (
            commonArgs
            // {
              inherit cargoArtifacts;
            }
          );

          # Check formatting
          my-crate-fmt = craneLib.cargoFmt {
            inherit src;
          };

          # Run tests with cargo-nextest
          my-crate-nextest = craneLib.cargoNextest (
            commonArgs
            // {
              inherit cargoArtifacts;
              partitions = 1;
              partitionType = "count";
              cargoNextestPartitionsExtraArgs = "--no-tests=pass";
            }
          );
        };

        packages = {
          default = my-crate;
          data = my-crate-data;
        };

        devShells.default = craneLib.devShell {
          # Inherit inputs from checks.
          checks = self.checks.${system};
        };
      }
    );
}
