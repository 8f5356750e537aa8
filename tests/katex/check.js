// Parses math spans with KaTeX the strict way: throwOnError and strict "error", so anything KaTeX
// would render as an error or only accept with a warning fails. Used by tests/render_compile.rs.
// stdin: JSON [{ "tex": "...", "display": true|false, "where": "doc:line" }]
// stdout: JSON { "checked": N, "failures": [{ "where", "tex", "error" }] }; exit 1 on failures.
"use strict";
const fs = require("fs");
const katex = require("katex");

const spans = JSON.parse(fs.readFileSync(0, "utf8"));
const failures = [];
for (const span of spans) {
  try {
    katex.renderToString(span.tex, {
      displayMode: span.display,
      throwOnError: true,
      strict: "error",
    });
  } catch (err) {
    failures.push({ where: span.where, tex: span.tex.slice(0, 300), error: String(err.message) });
  }
}
process.stdout.write(JSON.stringify({ checked: spans.length, failures }, null, 1) + "\n");
process.exitCode = failures.length === 0 ? 0 : 1;
