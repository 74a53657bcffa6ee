#!/usr/bin/env node
import { runCli } from "./run.js";

// The only place the CLI reads this process: everything below takes the run's directory, environment and streams.
process.exitCode = await runCli(process.argv.slice(2), { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr });
