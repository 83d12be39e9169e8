// Shared by the schema checks (validate.mjs, dashboards.mjs): compiling one
// virtual TypeScript module (never written to disk) against the types in
// tests/helm/node_modules, and counting checks. It reports diagnostics and
// results only; what the lines declare and what a check means is the
// caller's.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const helmTests = join(dirname(fileURLToPath(import.meta.url)), "..");

// Returns [{line, message}] for every diagnostic: line is the 0-based line
// of `lines` it points at, or -1 when it is outside the module (a type
// declaration that does not load).
export function typeCheck(lines, name) {
  const fileName = join(helmTests, name).replace(/\\/g, "/");
  const text = lines.join("\n") + "\n";
  const options = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (n, lang, ...rest) =>
    n === fileName ? ts.createSourceFile(n, text, lang, true) : getSourceFile.call(host, n, lang, ...rest);
  host.fileExists = (n) => n === fileName || fileExists.call(host, n);
  host.readFile = (n) => (n === fileName ? text : readFile.call(host, n));
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ({
    line: d.file && d.file.fileName === fileName ? d.file.getLineAndCharacterOfPosition(d.start).line : -1,
    message: ts.flattenDiagnosticMessageText(d.messageText, " "),
  }));
}

// Counts checks; prints each failure (every check when verbose), and at the
// end one summary line, exiting 1 when a check failed.
export class Checks {
  constructor(verbose) {
    this.verbose = verbose;
    this.passed = 0;
    this.failed = 0;
  }

  check(ok, what, why) {
    if (ok) {
      this.passed++;
      if (this.verbose) console.log(`ok   ${what}`);
    } else {
      this.failed++;
      console.log(`FAIL ${what}${why ? ": " + why : ""}`);
    }
    return ok;
  }

  finish(title) {
    console.log(`${title}: ${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed > 0 ? 1 : 0);
  }
}
