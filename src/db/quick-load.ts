// Loads drizzle-orm's modules without Node's slow path. Node 22 and 24 read a package's
// package.json again for every module file they load from it, parsing its whole `exports` map
// each time (nodejs/node#58126); drizzle-orm's is 178 KB and Kassa loads 108 of its files, so
// that alone cost 0.75 s of every `kassa` command and server start (0.1 s on Node 20).
//
// drizzle-orm's ES modules import each other by relative paths ending in .js, in a package
// whose type is module: such an import is resolved here, to the file it names, as an ES module,
// which is what Node's own resolution answers too, only without the repeated parse. Anything
// else goes on to Node. Imported first by the entry points (src/main.ts, src/cli/index.ts),
// before they load the rest; remove it once Node no longer re-parses (see the issue).
import { registerHooks } from 'node:module';

const PACKAGES = ['/node_modules/drizzle-orm/'];

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (parent?.endsWith('.js') && (specifier.startsWith('./') || specifier.startsWith('../')) && specifier.endsWith('.js') && PACKAGES.some((p) => parent.includes(p))) {
      return { url: new URL(specifier, parent).href, format: 'module', shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
