// Shipped with the package's types (scripts/build.mjs copies it to dist/ and index.d.ts references
// it): gradtape's classes have a [Symbol.dispose]() method, and TypeScript's default `lib` for
// targets before esnext does not declare Symbol.dispose, so without this a browser project
// (no @types/node) with `skipLibCheck: false` fails inside gradtape's own .d.ts. The declaration is
// the one lib.esnext.disposable and @types/node make, and merges with either of them.
interface SymbolConstructor {
  /** The well-known symbol of the explicit resource management proposal (`using`). */
  readonly dispose: unique symbol;
}
