// Part of the build (after tsc): bundles the `flagline` command line with its dependencies into dist/bundle/, where
// bin/flagline.js runs it. Node 20 loads ES modules one file at a time (resolve, read, compile, link): the ~650 files
// `serve` imports from dist/ and node_modules cost it ~0.55 s of CPU before anything ran; the bundle's few files cost
// ~0.2 s. Dynamic imports stay chunks, so `--help` still loads only commander.
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const distDir = `${packageDir}dist/`;
// `node bundle-cli.js ENTRY OUTDIR` bundles another entry the same way (bench/startup-phases.mjs, so that its steps
// run the code `serve` runs); OUTDIR must be where the dependencies kept external resolve (inside the repository).
const [entry = `${distDir}cli.js`, outdir = `${distDir}bundle`] = process.argv.slice(2);

/**
 * Modules find files next to them (the migrations, the data-dir template, package.json, the admin UI) from their
 * `import.meta.url`: each of the server's own modules keeps the URL of its file in dist/, relative to the bundle so the
 * package can be moved or installed elsewhere. Any other bundled file that uses `import.meta.url` fails the build,
 * as it would look for its files in the wrong place: it must be kept external.
 */
const keepModuleUrls = {
  name: 'keep-module-urls',
  setup(builder) {
    builder.onLoad({ filter: /\.[cm]?js$/ }, async ({ path }) => {
      const contents = await readFile(path, 'utf8');
      if (!contents.includes('import.meta.url')) return undefined;
      if (!path.startsWith(distDir)) {
        throw new Error(`${path} uses import.meta.url: mark its package external in scripts/bundle-cli.js`);
      }
      const fromBundle = relative(outdir, path).split('\\').join('/');
      return {
        contents: contents.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`,
        ),
        loader: 'js',
        resolveDir: dirname(path),
      };
    });
  },
};

// Chunk names carry a content hash: the last build's chunks would otherwise stay behind.
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [entry],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // PGlite finds its WebAssembly and data files next to its own modules, pino its transports' worker files (from
  // __dirname); pg-native is an optional native addon.
  external: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'pino', 'pg-native'],
  // Bundled CommonJS dependencies call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __flaglineRequire } from 'node:module';\nconst require = __flaglineRequire(import.meta.url);",
  },
  plugins: [keepModuleUrls],
  logLevel: 'warning',
  legalComments: 'none',
});
