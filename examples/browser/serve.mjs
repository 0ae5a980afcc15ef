// Static file server for the browser demo: serves the repository root on 127.0.0.1, cross-origin
// isolated (the COOP and COEP headers), so that the page has SharedArrayBuffer and gradtape's kernels
// use every core (threads(): navigator.hardwareConcurrency; 1 on a page that is not isolated).
//   npm run demo            (builds, then runs this file)
//   PORT=9000 node examples/browser/serve.mjs
//   ISOLATED=0 node examples/browser/serve.mjs   (without the headers: one thread)
// The portability tests import `startStaticServer` from here too.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Finds the file for a URL path under `mounts` ({ '/prefix/': dir }, longest prefix wins): a path,
 * `{ redirect }` for a directory named without its trailing slash, or null.
 */
function lookup(mounts, urlPath) {
  const prefix = Object.keys(mounts)
    .filter((p) => urlPath.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) return null;
  const root = resolve(mounts[prefix]);
  let file = resolve(join(root, urlPath.slice(prefix.length)));
  if (file !== root && !file.startsWith(root + sep)) return null; // no escaping the mount
  try {
    if (statSync(file).isDirectory()) {
      if (!urlPath.endsWith('/')) return { redirect: `${urlPath}/` }; // so relative URLs resolve
      file = join(file, 'index.html');
    }
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

/** The headers that make a page cross-origin isolated (every resource here is same-origin, so COEP costs nothing). */
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * Serves `mounts` (e.g. { '/': repoRoot, '/tmp/': someDir }) on 127.0.0.1.
 * @param {Record<string, string>} mounts
 * @param {number} [port] 0 picks a free port
 * @param {{ isolated?: boolean }} [options] isolated: send COOP same-origin + COEP require-corp
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function startStaticServer(mounts, port = 0, { isolated = false } = {}) {
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      path = null;
    }
    const file = path === null ? null : lookup(mounts, path);
    if (file?.redirect) {
      res.writeHead(301, { location: file.redirect }).end();
      return;
    }
    if (file === null || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      ...(isolated ? ISOLATION : {}),
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const actual = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const isolated = process.env.ISOLATED !== '0';
  const { url } = await startStaticServer({ '/': root }, Number(process.env.PORT) || 8080, { isolated });
  console.log(`gradtape demo: ${url}/examples/browser/${isolated ? '' : ' (not cross-origin isolated: one thread)'}`);
}
