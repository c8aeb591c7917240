// Drives the system Chromium (puppeteer-core, headless) through one scenario against a running gateway and the test
// OIDC provider (provider.mjs). Usage: node browser.mjs '<json>' with
//   {"scenario":"hangfire"|"swagger"|"live"|"signout", "gateway":"http://127.0.0.1:P", "issuer":"http://localhost:Q",
//    "person":"root", "screenshots":"/path", "chromium":"/usr/bin/chromium", ...scenario settings}
// Prints one JSON line with what it saw and exits 0, or prints the failure (with the step) and exits 1. When a step
// fails, every open page is saved as <screenshots>/<scenario>-<step>-<n>.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const options = JSON.parse(process.argv[2] ?? '{}');
const timeout = options.timeoutMs ?? 30000;
const browser = await puppeteer.launch({
  executablePath: options.chromium ?? process.env.QG_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  // The tests run as root in CI, where Chromium's sandbox cannot start.
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
});

let currentStep = 'start';
async function step(name, action) {
  currentStep = name;
  return action();
}

async function screenshots() {
  if (!options.screenshots) return [];
  mkdirSync(options.screenshots, { recursive: true });
  const saved = [];
  const pages = await browser.pages();
  for (const [i, page] of pages.entries()) {
    const file = join(options.screenshots, `${options.scenario}-${currentStep}-${i}.png`);
    try {
      await page.screenshot({ path: file, fullPage: true });
      saved.push(`${file} (${page.url()})`);
    } catch {
      // a page that closed meanwhile
    }
  }
  return saved;
}

const visited = [];
function track(page) {
  page.setDefaultTimeout(timeout);
  page.setDefaultNavigationTimeout(timeout);
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) visited.push(withoutHint(frame.url())); });
  page.on('response', (response) => {
    if (response.request().isNavigationRequest()) visited.push(`${response.status()} ${withoutHint(response.url())}`);
  });
}

// The provider's development login and consent pages (node-oidc-provider's devInteractions): any password.
async function signInAtProvider(page, person) {
  await page.waitForSelector('input[name=login]');
  await page.type('input[name=login]', person);
  await page.type('input[name=password]', 'any');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  if (page.url().startsWith(options.issuer) && !page.isClosed()) {
    // consent
    await page.waitForSelector('button[type=submit]');
    await Promise.all([page.waitForNavigation().catch(() => {}), page.click('button[type=submit]')]);
  }
}

// The ID token in a logout request stays out of the test output.
const withoutHint = (url) => url.replace(/([?&]id_token_hint=)[^&]*/, '$1(hidden)');

// Whether the provider asks for credentials (its login form), rather than sending the browser straight back.
const askedForLogin = async (page) => page.url().startsWith(options.issuer) && (await page.$('input[name=login]')) !== null;

const text = (page, selector) => page.$eval(selector, (e) => e.textContent.trim());

const scenarios = {
  // Not signed in, the dashboard sends the browser to /signin, which goes on to the provider; after signing in there it
  // lands on the dashboard again, and the recurring jobs page lists the gateway's jobs.
  async hangfire(page) {
    await step('open-dashboard', () => page.goto(`${options.gateway}/hangfire`));
    await step('provider-login', async () => {
      if (!page.url().startsWith(options.issuer)) throw new Error(`expected the provider's login, at ${page.url()}`);
      await signInAtProvider(page, options.person ?? 'root');
    });
    const landed = page.url();
    await step('dashboard', () => page.waitForSelector('.navbar'));
    await step('recurring', () => page.goto(`${options.gateway}/hangfire/recurring`));
    const jobs = await step('recurring-list', async () => {
      await page.waitForSelector('table tbody tr td');
      // Columns: selection box, Id, Cron, ...
      return page.$$eval('table tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent.trim()));
    });
    return { landed, title: await page.title(), jobs };
  },

  // Swagger UI: Authorize with the OAuth2 scheme (authorization code + PKCE in a popup at the provider), then try
  // POST /v1/registries with the example body and read the rendered status.
  async swagger(page) {
    await step('open-swagger', () => page.goto(`${options.gateway}/swagger`));
    await step('authorize-dialog', async () => {
      await page.waitForSelector('.btn.authorize');
      await page.click('.btn.authorize');
      await page.waitForSelector('.auth-container');
    });
    const popupPage = await step('oauth2-authorize', async () => {
      const containers = await page.$$('.auth-container');
      let oauth = null;
      for (const c of containers) {
        if ((await c.evaluate((e) => e.textContent)).includes('authorizationCode')) oauth = c;
      }
      if (!oauth) throw new Error('no authorizationCode scheme in the Authorize dialog');
      for (const box of await oauth.$$('input[type=checkbox]')) {
        const id = await box.evaluate((e) => e.id);
        if (id.endsWith('openid') && !(await box.evaluate((e) => e.checked))) await box.evaluate((e) => e.click());
      }
      const popup = new Promise((resolve) => browser.once('targetcreated', async (t) => resolve(await t.page())));
      const authorize = (await oauth.$$('button.authorize'))[0] ?? (await oauth.$$('button'))[0];
      await authorize.click();
      return popup;
    });
    await step('provider-login', async () => {
      track(popupPage);
      await popupPage.waitForSelector('input[name=login]');
      const closed = new Promise((resolve) => popupPage.once('close', resolve));
      await signInAtProvider(popupPage, options.person ?? 'alice');
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the sign-in window did not close')), timeout))]);
    });
    await step('authorized', async () => {
      await page.waitForFunction(() => [...document.querySelectorAll('.auth-container')]
        .some((c) => c.textContent.includes('authorizationCode')
          && [...c.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Logout')), { timeout })
        .catch(async (e) => {
          const dialog = await page.$eval('.dialog-ux', (d) => d.innerText).catch(() => 'no dialog');
          throw new Error(`not authorized: ${dialog}`, { cause: e });
        });
      await page.click('.btn-done, button.close-modal');
    });
    const operation = '#operations-Registries-post_v1_registries, [id^=operations-][id$=CreateRegistry]';
    await step('open-operation', async () => {
      const id = await page.evaluate(() => {
        const block = [...document.querySelectorAll('.opblock-post')]
          .find((b) => b.querySelector('.opblock-summary-path')?.getAttribute('data-path') === '/v1/registries');
        return block?.id;
      });
      if (!id) throw new Error(`no POST /v1/registries (${operation})`);
      await page.click(`#${id} .opblock-summary-control, #${id} .opblock-summary`);
      await page.waitForSelector(`#${id} .try-out__btn`);
      await page.click(`#${id} .try-out__btn`);
      this.id = id;
    });
    const body = await step('execute', async () => {
      const id = this.id;
      const example = await text(page, `#${id} textarea.body-param__text`);
      if (options.registryName) {
        // Same example, a fresh name: a rerun against the same database would otherwise get 409.
        const edited = JSON.stringify({ ...JSON.parse(example), name: options.registryName }, null, 2);
        await page.$eval(`#${id} textarea.body-param__text`, (e, v) => {
          const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
          setter.call(e, v);
          e.dispatchEvent(new Event('input', { bubbles: true }));
        }, edited);
      }
      await page.click(`#${id} .execute`);
      await page.waitForSelector(`#${id} .live-responses-table tbody .response-col_status`);
      return example;
    });
    const status = await text(page, `#${this.id} .live-responses-table tbody .response-col_status`);
    const response = await text(page, `#${this.id} .live-responses-table tbody .response-col_description`);
    return { example: body, status, response };
  },

  // A page on the gateway's origin (served by this script through request interception, so nothing is added to the
  // gateway) follows /v1/events with EventSource and the session cookie, and shows one registry's states.
  async live(page) {
    const pagePath = '/__browser-test/live.html';
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (request.url().startsWith(options.gateway + pagePath)) {
        request.respond({ status: 200, contentType: 'text/html; charset=utf-8', body: livePage });
      } else {
        request.continue();
      }
    });
    await step('sign-in', () => page.goto(`${options.gateway}/signin?returnUrl=${encodeURIComponent('/v1/registries?limit=1')}`));
    await step('provider-login', () => signInAtProvider(page, options.person ?? 'alice'));
    await step('signed-in', async () => {
      if (!page.url().startsWith(`${options.gateway}/v1/registries`)) throw new Error(`expected to be back on the gateway, at ${page.url()}`);
    });
    await step('open-page', async () => {
      await page.goto(`${options.gateway}${pagePath}?name=${encodeURIComponent(options.registryName)}`);
      await page.waitForFunction(() => document.querySelector('#connection').textContent === 'open');
    });
    const created = await step('create', () => page.evaluate(async (token, name) => {
      // From the page, as a portal's own backend would: a write needs a header credential, never the cookie.
      const r = await fetch('/v1/registries', {
        method: 'POST', credentials: 'omit',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ name, namespace: 'browser-live' }),
      });
      return r.status;
    }, options.writeToken, options.registryName));
    await step('ready', () => page.waitForFunction(() => document.querySelector('#state').textContent === 'Ready',
      { timeout: options.readyTimeoutMs ?? 180000 }));
    const states = await page.$$eval('#states li', (items) => items.map((i) => i.dataset.state));
    return { created, states };
  },

  // RP-initiated logout. Sign in through the provider; signing in again passes straight through (the provider's own
  // session). Sign out with the gateway's button, confirm at the provider, land on /signed-out. Then the gateway's
  // reads refuse the browser, and /signin makes the provider ask for credentials again.
  async signout(page) {
    const signin = `${options.gateway}/signin?returnUrl=${encodeURIComponent('/v1/registries?limit=1')}`;
    await step('sign-in', () => page.goto(signin));
    await step('provider-login', () => signInAtProvider(page, options.person ?? 'alice'));
    await step('signed-in', async () => {
      if (!page.url().startsWith(`${options.gateway}/v1/registries`)) throw new Error(`expected to be back on the gateway, at ${page.url()}`);
    });
    const before = await step('sign-in-again', async () => {
      await page.goto(signin);
      return { url: page.url(), askedForLogin: await askedForLogin(page) };
    });
    const cookie = await step('cookie', async () => (await page.cookies(options.gateway)).find((c) => c.name === options.cookieName)?.value);
    await step('sign-out-button', async () => {
      // A signed-in person without platform:admin gets the dashboard's 403 page, which has the sign-out button.
      await page.goto(`${options.gateway}/hangfire`);
      await page.waitForSelector('form[action$="/signout"] button');
    });
    const logout = await step('sign-out', async () => {
      await Promise.all([page.waitForNavigation(), page.click('form[action$="/signout"] button')]);
      const url = new URL(page.url());
      return { at: url.origin + url.pathname, params: [...url.searchParams.keys()], postLogoutRedirectUri: url.searchParams.get('post_logout_redirect_uri') };
    });
    await step('provider-confirm', async () => {
      if (!page.url().startsWith(options.issuer)) throw new Error(`expected the provider's sign-out confirmation, at ${withoutHint(page.url())}`);
      await page.waitForSelector('button[name=logout][value=yes]');
      await Promise.all([page.waitForNavigation(), page.click('button[name=logout][value=yes]')]);
    });
    const signedOut = await step('signed-out', async () => {
      await page.waitForSelector('#signed-out');
      return { url: page.url(), provider: await page.$eval('#signed-out', (e) => e.dataset.provider), text: await text(page, '#signed-out') };
    });
    const readAfter = await step('read-after', async () => (await page.goto(`${options.gateway}/v1/registries`)).status());
    const after = await step('sign-in-after', async () => {
      await page.goto(signin);
      return { url: page.url(), askedForLogin: await askedForLogin(page) };
    });
    return { before, cookie, logout, signedOut, readAfter, after };
  },
};

const livePage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Registry live</title></head><body>
<p>Stream: <span id="connection">connecting</span></p>
<p>State: <b id="state">none</b></p>
<ol id="states"></ol>
<script>
const name = new URLSearchParams(location.search).get("name");
const feed = new EventSource("/v1/events", { withCredentials: true });
feed.onopen = () => { document.querySelector("#connection").textContent = "open"; };
feed.onerror = () => { document.querySelector("#connection").textContent = "interrupted"; };
feed.addEventListener("StateChanged", (e) => {
  const entry = JSON.parse(e.data);
  if (entry.registryName !== name) return;
  const li = document.createElement("li");
  li.dataset.state = entry.state;
  li.textContent = entry.at + " " + entry.state + ": " + (entry.message ?? "");
  document.querySelector("#states").append(li);
  document.querySelector("#state").textContent = entry.state;
});
</script></body></html>`;

const scenario = scenarios[options.scenario];
let exitCode = 0;
try {
  if (!scenario) throw new Error(`unknown scenario ${options.scenario}`);
  const page = await browser.newPage();
  track(page);
  const result = await scenario.call({}, page);
  process.stdout.write(JSON.stringify({ ok: true, ...result, visited }) + '\n');
} catch (error) {
  const saved = await screenshots();
  process.stdout.write(JSON.stringify({ ok: false, step: currentStep, error: String(error?.stack ?? error), screenshots: saved, visited }) + '\n');
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
