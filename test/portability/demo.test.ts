// The browser demo (examples/browser): it loads, trains, and the picture it draws changes as the
// loss falls. Served as `npm run demo` serves it, cross-origin isolated: it uses every core (its
// workers run tasks: fixtures/threads.mjs' probe reads the core's counters); not isolated, one thread.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore: plain JS fixture
import { tasksRunProbe } from './fixtures/threads.mjs';
import { launchChromium, repoMounts, requireBuild, startStaticServer, tasksRunName, watchPage } from './helpers';

const STEPS = 500;

describe('examples/browser demo', () => {
  let server: Awaited<ReturnType<typeof startStaticServer>>;
  let plain: Awaited<ReturnType<typeof startStaticServer>>;
  let browser: Browser;

  beforeAll(async () => {
    requireBuild();
    server = await startStaticServer(repoMounts(), 0, { isolated: true });
    plain = await startStaticServer(repoMounts());
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await plain?.close();
  });

  async function open(query: string, at = server): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    await page.addInitScript({ content: tasksRunProbe(tasksRunName()) }); // before the page's modules
    const { problems, waitFor } = watchPage(page);
    await page.goto(`${at.url}/examples/browser/${query}`);
    await waitFor(() => (window as any).__demo?.ready).catch(async (e) => {
      await page.close();
      throw e;
    });
    return { page, problems };
  }

  it(`after ${STEPS} steps the loss fell and the decision boundary changed`, async () => {
    const { page, problems } = await open('?autoplay=0');
    try {
      const canvas = page.locator('#boundary');
      const pngBefore = await canvas.screenshot();
      const lossBefore: number = await page.evaluate(() => {
        const c = document.getElementById('boundary') as HTMLCanvasElement;
        (window as any).__pixelsBefore = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.slice();
        return (window as any).__demo.loss();
      });
      expect(await page.evaluate(() => (window as any).__demo.steps())).toBe(0);

      const after = await page.evaluate((n) => {
        const demo = (window as any).__demo;
        demo.step(n);
        demo.render();
        const c = document.getElementById('boundary') as HTMLCanvasElement;
        const now = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const before: Uint8ClampedArray = (window as any).__pixelsBefore;
        let changed = 0;
        for (let i = 0; i < now.length; i += 4) {
          const d = Math.max(Math.abs(now[i] - before[i]), Math.abs(now[i + 1] - before[i + 1]), Math.abs(now[i + 2] - before[i + 2]));
          if (d > 16) changed++;
        }
        return { changedFraction: changed / (now.length / 4), loss: demo.loss(), steps: demo.steps(), accuracy: demo.accuracy() };
      }, STEPS);
      const pngAfter = await canvas.screenshot();

      console.log(`demo: loss ${lossBefore.toFixed(4)} -> ${after.loss.toFixed(4)} after ${after.steps} steps, ` +
        `accuracy ${(after.accuracy * 100).toFixed(1)}%, ${(after.changedFraction * 100).toFixed(1)}% of boundary pixels changed`);
      expect(problems).toEqual([]);
      expect(after.steps).toBe(STEPS);
      expect(after.loss).toBeLessThan(lossBefore * 0.6);
      expect(after.changedFraction).toBeGreaterThan(0.05);
      expect(pngAfter.equals(pngBefore)).toBe(false);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('trains on its own with requestAnimationFrame', async () => {
    const { page, problems } = await open('');
    try {
      await page.waitForFunction(() => (window as any).__demo.steps() >= 20, undefined, { timeout: 60_000 });
      const losses: number[] = await page.evaluate(() => (window as any).__demo.losses());
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(await page.locator('#stats').textContent()).toMatch(/step \d+ · loss \d+\.\d+ · accuracy/);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('the GAN panel trains TF\'s DCGAN tutorial in the page and redraws its samples', async () => {
    const { page, problems } = await open('?autoplay=0');
    try {
      await page.waitForFunction(() => (window as any).__dcgan?.ready, undefined, { timeout: 60_000 });
      const result = await page.evaluate(() => {
        const gan = (window as any).__dcgan;
        const c = document.getElementById('gan') as HTMLCanvasElement;
        const pixels = () => c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.slice();
        const before = pixels(), samplesBefore: Float32Array = gan.samples();
        gan.step(3);
        gan.render();
        const after = pixels(), samplesAfter: Float32Array = gan.samples();
        let changed = 0;
        for (let i = 0; i < after.length; i += 4) if (after[i] !== before[i]) changed++;
        let moved = 0;
        for (let i = 0; i < samplesAfter.length; i++) moved = Math.max(moved, Math.abs(samplesAfter[i] - samplesBefore[i]));
        return { steps: gan.steps(), losses: gan.losses(), changed: changed / (after.length / 4), moved, samples: samplesAfter.length };
      });
      expect(problems).toEqual([]);
      expect(result.steps).toBe(3);
      expect(result.samples).toBe(16 * 28 * 28);
      for (const { gen, disc } of result.losses) { expect(Number.isFinite(gen)).toBe(true); expect(Number.isFinite(disc)).toBe(true); }
      expect(result.moved).toBeGreaterThan(1e-4); // the generator's weights changed
      expect(result.changed).toBeGreaterThan(0.01); // and the canvas shows it
      expect(await page.locator('#gan-stats').textContent()).toMatch(/step 3 · generator loss \d+\.\d+ · discriminator loss \d+\.\d+/);
    } finally {
      await page.close();
    }
  }, 180_000);
  it('the text panel trains TF\'s text-generation tutorial in the page and samples with randomCategorical', async () => {
    const { page, problems } = await open('?autoplay=0');
    try {
      await page.waitForFunction(() => (window as any).__text?.ready, undefined, { timeout: 60_000 });
      const result = await page.evaluate(() => {
        const panel = (window as any).__text;
        const first: string = document.getElementById('text-sample')!.textContent!;
        const before = panel.step(1);
        const after = panel.step(19);
        panel.render();
        return { steps: panel.steps(), before, after, first, sample: panel.sample(120) as string, shown: document.getElementById('text-sample')!.textContent! };
      });
      expect(problems).toEqual([]);
      expect(result.steps).toBe(20);
      expect(result.after).toBeLessThan(result.before); // the loss falls
      expect(result.first.startsWith('The ')).toBe(true);
      expect(result.sample.startsWith('The ')).toBe(true);
      expect(result.sample).toHaveLength(4 + 120);
      expect(result.shown).not.toBe(result.first); // the page shows a new sample
      expect(await page.locator('#text-stats').textContent()).toMatch(/step 20 · loss \d+\.\d+ · \d+% of the sample's words/);
    } finally {
      await page.close();
    }
  }, 180_000);

  it('served isolated, it uses every core: threads() = hardwareConcurrency, shown on the page, and the GAN\'s products run on the workers', async () => {
    const { page, problems } = await open('?autoplay=0');
    try {
      await page.waitForFunction(() => (window as any).__dcgan?.ready, undefined, { timeout: 60_000 });
      const r = await page.evaluate(async () => {
        const gan = (window as any).__dcgan;
        gan.step(1); // the first large product asks for the workers: they start once the page yields
        await new Promise((ok) => setTimeout(ok, 500));
        gan.step(2);
        return {
          isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, threads: (window as any).__demo.threads(),
          tasksRun: (window as any).__tasksRun(), text: document.getElementById('threads')!.textContent,
        };
      });
      console.log(`demo, isolated: ${r.threads} threads, tasks per slot after 3 GAN steps ${r.tasksRun.slice(0, r.threads)}`);
      expect(problems).toEqual([]);
      expect(r.isolated).toBe(true);
      expect(r.cores).toBeGreaterThan(1);
      expect(r.threads).toBe(r.cores);
      expect(r.text).toContain(`Kernels use ${r.cores} threads`);
      for (let slot = 1; slot < r.threads; slot++) expect(r.tasksRun[slot]).toBeGreaterThan(0); // every worker took part
    } finally {
      await page.close();
    }
  }, 180_000);

  it('not isolated, it runs on one thread and still trains', async () => {
    const { page, problems } = await open('?autoplay=0', plain);
    try {
      const r = await page.evaluate(() => {
        const demo = (window as any).__demo;
        const before = demo.loss();
        demo.step(100);
        return { isolated: crossOriginIsolated, threads: demo.threads(), before, after: demo.loss(), text: document.getElementById('threads')!.textContent };
      });
      expect(problems).toEqual([]);
      expect(r.isolated).toBe(false);
      expect(r.threads).toBe(1);
      expect(r.text).toContain('Kernels use 1 thread: the page is not cross-origin isolated');
      expect(r.after).toBeLessThan(r.before);
    } finally {
      await page.close();
    }
  }, 120_000);
});
