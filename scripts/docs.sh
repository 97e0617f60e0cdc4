#!/usr/bin/env bash
# Builds the DocC documentation of the library products (catalogs in Sources/<Module>/<Module>.docc,
# the tutorial in Sources/Methods/Methods.docc/Tutorials) with swift-docc-plugin; a broken symbol
# link or tutorial directive is an error. Archives: .build/plugins/Swift-DocC/outputs/<Module>.doccarchive
# (open index.html through any static web server: python3 -m http.server -d THAT_FOLDER).
# Reuses the debug build (about a minute when `swift build` has run; docs/documentation.md).
set -euo pipefail
cd "$(dirname "$0")/.."
swift package generate-documentation --warnings-as-errors \
  --target Graph --target Importers --target Rules --target Methods --target Runs --target Plugins "$@"
