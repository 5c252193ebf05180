#!/usr/bin/env node
// Entry point: `ringcache <node|operator|local> [flags]`. The compiled CLI lives in dist/.
import { main } from '../dist/node/src/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
