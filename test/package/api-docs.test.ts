/**
 * The API reference: every export of src/index.ts carries a TSDoc @example (read with the
 * TypeScript compiler API).
 *
 * In test/package/, not beside a part of src/: it checks the package as a whole (what it ships,
 * its documentation), as a user meets it.
 */
import ts from "typescript";
import { describe, expect, it } from "vitest";

describe("API reference", () => {
  it("every export of src/index.ts has a TSDoc @example", () => {
    const program = ts.createProgram(["src/index.ts"], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
    });
    const checker = program.getTypeChecker();
    const index = program.getSourceFile("src/index.ts");
    expect(index).toBeDefined();
    const moduleSymbol = checker.getSymbolAtLocation(index!)!;
    const exports = checker.getExportsOfModule(moduleSymbol);
    expect(exports.length).toBeGreaterThan(50);
    const missing = exports
      .filter((exp) => {
        const target = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
        return !(target.declarations ?? []).some((d) =>
          ts.getJSDocTags(d).some((tag) => tag.tagName.text === "example"),
        );
      })
      .map((exp) => exp.name);
    expect(missing).toEqual([]);
  });
});
