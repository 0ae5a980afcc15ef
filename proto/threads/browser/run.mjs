// Prototype only: serves page.js on an isolated page (COOP/COEP) and on a plain one, in headless Chromium.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
const here = new URL('.', import.meta.url);
const files = { '/page.js': [readFileSync(new URL('page.js', here)), 'text/javascript'], '/worker.js': [readFileSync(new URL('worker.js', here)), 'text/javascript'],
  '/proto-threads.wasm': [readFileSync(new URL('../../../build/proto-threads.wasm', here)), 'application/wasm'], '/': ['<script type="module" src="/page.js"></script>', 'text/html'] };
const server = createServer((req, res) => {
  const [path, query] = req.url.split('?');
  const [body, type] = files[path] ?? ['', 'text/plain'];
  const headers = { 'content-type': type };
  if (query === 'isolated' || req.headers.referer?.includes('?isolated')) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
  res.writeHead(files[path] ? 200 : 404, headers).end(body);
}).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const browser = await chromium.launch({ executablePath: execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim(), headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
console.log('chromium', browser.version());
for (const mode of ['isolated', 'plain']) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('page error', e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/?${mode}`);
  await page.waitForFunction(() => self.result, null, { timeout: 30000 });
  console.log(mode, JSON.stringify(await page.evaluate(() => self.result)));
  await page.close();
}
await browser.close(); server.close();
