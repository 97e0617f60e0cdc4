#!/usr/bin/env bash
# Copies the sample plugin's files into the plugin tutorial's listings
# (Sources/Plugins/Plugins.docc/Resources); TutorialListingTests fails when they drift.
set -euo pipefail
cd "$(dirname "$0")/.."
E=Examples/SwishPlugin R=Sources/Plugins/Plugins.docc/Resources
cp $E/Package.swift $R/plugin-package.swift
cp $E/Sources/SwishPlugin/Entry.swift $R/plugin-entry.swift
cp $E/Sources/SwishPlugin/Swish.swift $R/plugin-swish.swift
cp $E/Sources/SwishPlugin/AbsGradCAM.swift $R/plugin-method.swift
cp $E/Sources/SwishPlugin/ToyNet.swift $R/plugin-importer.swift
cp $E/Tests/SwishPluginTests/SwishPluginTests.swift $R/plugin-tests.swift
