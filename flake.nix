{
  description = "Durable Lambda: stateful actors on AWS Lambda, DynamoDB, SQS FIFO and EventBridge";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachDefaultSystem (system:
      let
        pkgs = import nixpkgs { inherit system; };
      in
      {
        # `nix develop`: everything the tests and `durable deploy` use, pinned by flake.lock.
        devShells.default = pkgs.mkShell {
          packages = [
            pkgs.bun # the CLI and test runner (npm also installs it as a dependency)
            pkgs.nodejs_22 # the Lambda runtime's Node major, and npm
            pkgs.jdk17_headless # DynamoDB Local
            pkgs.awscli2
            pkgs.biome
            (pkgs.python311.withPackages (ps: [ ps.moto ])) # moto_server for the deploy e2e
            pkgs.chromium # the inspector's browser tests
          ];
          shellHook = ''
            export PATH="$PWD/node_modules/.bin:$PATH"
            export DURABLE_TEST_CHROMIUM="${pkgs.chromium}/bin/chromium"
            echo "durable dev shell: bun $(bun --version), node $(node --version)"
          '';
        };
      });
}
