// Drives one chromium page through the steps of a plan (JSON in BROWSER_PLAN) and prints one
// JSON line: what each step saw, every console message, and every document response.
//   {"shots": dir, "viewport": {width, height}, "steps": [
//     {"do": "goto", "url"} | {"do": "click", "selector"} | {"do": "fill", "selector", "value"} |
//     {"do": "screenshot", "name"} | {"do": "text", "selector"} | {"do": "viewport", width, height} |
//     {"do": "measure"}]}
// goto and click wait for the navigation they cause to load (redirects included).
import { join } from 'node:path';
import { launch } from './chromium.mjs';

const plan = JSON.parse(process.env.BROWSER_PLAN || '{}');
const STEP_TIMEOUT = 10_000;

// What a page looks like to a reader: width overflow, the stylesheet, scripts present.
const measure = page =>
  page.evaluate(() => {
    const main = document.querySelector('main');
    return {
      title: document.title,
      innerWidth: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      scripts: document.scripts.length,
      stylesheets: document.styleSheets.length,
      mainMaxWidth: main ? getComputedStyle(main).maxWidth : null,
      bodyFontSize: getComputedStyle(document.body).fontSize,
      headings: [...document.querySelectorAll('h1')].map(h => h.textContent),
      buttons: [...document.querySelectorAll('button')].map(b => ({
        name: b.name,
        text: b.textContent,
        width: Math.round(b.getBoundingClientRect().width),
        height: Math.round(b.getBoundingClientRect().height),
      })),
    };
  });

const run = async () => {
  const browser = await launch({ viewport: plan.viewport });
  const page = browser.context.pages()[0] || (await browser.context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT);
  const consoleMessages = [];
  const documents = [];
  const dialogs = [];
  page.on('console', m => consoleMessages.push({ type: m.type(), text: m.text(), url: m.location().url || '' }));
  page.on('dialog', d => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('response', r => {
    if (r.request().resourceType() === 'document') documents.push({ url: r.url(), status: r.status() });
  });
  const results = [];
  try {
    for (const step of plan.steps || []) {
      if (step.do === 'goto') {
        const res = await page.goto(step.url, { waitUntil: 'load' });
        results.push({ url: page.url(), status: res ? res.status() : null });
      } else if (step.do === 'click') {
        const navigated = page.waitForNavigation({ waitUntil: 'load' }).catch(e => ({ error: String(e) }));
        await page.click(step.selector);
        const res = await navigated;
        results.push({ url: page.url(), status: res && res.status ? res.status() : null, error: res && res.error });
      } else if (step.do === 'fill') {
        await page.fill(step.selector, step.value);
        results.push({});
      } else if (step.do === 'screenshot') {
        const path = join(plan.shots, step.name);
        await page.screenshot({ path, fullPage: true });
        results.push({ path });
      } else if (step.do === 'text') {
        results.push({ text: await page.textContent(step.selector) });
      } else if (step.do === 'viewport') {
        await page.setViewportSize({ width: step.width, height: step.height });
        results.push({});
      } else if (step.do === 'console') {
        // wait (bounded) until a console message containing step.contains has arrived
        const until = Date.now() + (step.timeout || 5000);
        while (!consoleMessages.some(m => m.text.includes(step.contains)) && Date.now() < until) {
          await new Promise(r => setTimeout(r, 25));
        }
        results.push({ seen: consoleMessages.some(m => m.text.includes(step.contains)) });
      } else if (step.do === 'measure') {
        results.push(await measure(page));
      } else {
        throw new Error(`unknown step ${JSON.stringify(step)}`);
      }
    }
  } finally {
    await browser.close();
  }
  return { results, console: consoleMessages, documents, dialogs };
};

run().then(
  result => process.stdout.write(`${JSON.stringify(result)}\n`),
  e => {
    process.stdout.write(`${JSON.stringify({ crash: String((e && e.stack) || e) })}\n`);
    process.exitCode = 1;
  },
);
