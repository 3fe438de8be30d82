#!/usr/bin/env node
// A committed entry point, so npm links the `mmstats` command at install time, before the build
// has made dist/ (npm skips a bin whose file is missing). The command itself is the built CLI.
require('../dist/cli.cjs');
