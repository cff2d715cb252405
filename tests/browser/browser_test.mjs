// pail in a real browser: Debian's headless Chromium (/usr/bin/chromium) driven by
// playwright-core. tests/e2e/test_browser.py writes CONFIG.json, runs
//
//   node browser_test.mjs sdk|site CONFIG.json RESULT.json
//
// and asserts on RESULT.json. This script only drives the browser and records what
// it saw (statuses, headers, texts, errors, console messages); the expectations live
// in the Python test. Screenshots of every step go to config.artifacts.
//
//   sdk   a page served here from another origin (http://app.localhost:PORT, a tiny
//         HTTP server of this script on 127.0.0.1) loads a browser bundle of
//         @aws-sdk/client-s3 built now with esbuild (never committed), and calls pail's
//         REST endpoint with the keys in the config: CORS is decided by Chromium
//         against pail's answers, as for any web app.
//   site  opens a bucket's website URL, follows every link of the index page, checks
//         images decoded, opens a missing page.
//
// The browser is never downloaded: executablePath is Debian's chromium (or
// $PAIL_CHROMIUM), and `npx playwright install` is never needed.
import { createServer } from "node:http";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const [mode, configPath, resultPath] = process.argv.slice(2);
if (!["sdk", "site"].includes(mode) || !configPath || !resultPath) {
  console.error("usage: node browser_test.mjs sdk|site CONFIG.json RESULT.json");
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, "utf8"));
const result = { mode, steps: [], console: [], pageErrors: [], screenshots: [] };
const save = () => writeFileSync(resultPath, JSON.stringify(result, null, 2));
mkdirSync(config.artifacts, { recursive: true });

let shotNo = 0;
async function screenshot(page, name) {
  const file = join(config.artifacts, `${String(++shotNo).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  result.screenshots.push(file);
  return file;
}

function watch(page) {
  page.on("console", (m) => result.console.push({ type: m.type(), text: m.text(), url: page.url() }));
  page.on("pageerror", (e) => result.pageErrors.push(String(e)));
}

// ------------------------------------------------------------------ sdk mode
const APP_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>pail from another origin</title>
<style>
  body { font: 14px/1.4 sans-serif; margin: 24px; }
  table { border-collapse: collapse; }
  td, th { border: 1px solid #999; padding: 4px 8px; vertical-align: top; }
  .as-expected { background: #d8f5d8; } .unexpected { background: #f8d7d7; }
  pre { margin: 0; white-space: pre-wrap; max-width: 760px; }
</style></head>
<body>
<h1>pail from another origin</h1>
<p>This page: <code id="origin"></code> &mdash; S3 endpoint: <code id="endpoint"></code></p>
<table><thead><tr><th>#</th><th>step</th><th>outcome</th><th>detail</th></tr></thead>
<tbody id="steps"></tbody></table>
<script type="module">
  import * as S3 from "/sdk.js";
  document.getElementById("origin").textContent = location.origin;
  // One helper per step: runs fn, shows the outcome in the table, returns it to the test.
  window.pailStep = async (name, expect, fn) => {
    let out;
    try { out = { ok: true, value: await fn(S3) }; }
    catch (e) { out = { ok: false, error: String(e && (e.name + ": " + e.message)), errorName: e && e.name,
                        status: (e && e.$metadata && e.$metadata.httpStatusCode) || null }; }
    const tr = document.createElement("tr");
    // Green: what the test expects (a refusal included), red: not.
    tr.className = out.ok === (expect !== "refused") ? "as-expected" : "unexpected";
    const cells = [document.getElementById("steps").children.length + 1, name,
                   (out.ok ? "ok" : "refused") +
                     (expect === "refused" ? (out.ok ? ", NOT refused" : ", as expected") : ""),
                   JSON.stringify(out.ok ? out.value : out.error, null, 1)];
    for (const c of cells) {
      const td = document.createElement("td"); const pre = document.createElement("pre");
      pre.textContent = String(c); td.appendChild(pre); tr.appendChild(td);
    }
    document.getElementById("steps").appendChild(tr);
    return out;
  };
  window.sdkReady = true;
</script>
</body></html>`;

async function bundleSdk() {
  // Only what the page uses, so the bundle stays small (~260 KB minified).
  const out = await build({
    stdin: {
      contents: `export { S3Client, ListObjectsV2Command, GetObjectCommand, PutObjectCommand,
                 DeleteObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";`,
      resolveDir: HERE, loader: "js",
    },
    bundle: true, platform: "browser", format: "esm", target: "es2022", minify: true,
    write: false, logLevel: "error",
  });
  return out.outputFiles[0].contents;
}

function serveApp(sdkJs) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(APP_PAGE);
    } else if (path === "/sdk.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(sdkJs);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  return new Promise((resolve) => server.listen(config.appPort || 0, "127.0.0.1", () => resolve(server)));
}

async function runSdk(browser) {
  const t0 = Date.now();
  const sdkJs = await bundleSdk();
  result.bundleBytes = sdkJs.length;
  result.bundleMs = Date.now() - t0;
  const app = await serveApp(sdkJs);
  try {
    const origin = `http://${config.appHost}:${app.address().port}`;
    result.origin = origin;
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    watch(page);
    const requests = [];
    page.on("requestfinished", async (r) => {
      const resp = await r.response();
      requests.push({ method: r.method(), url: r.url(), status: resp && resp.status() });
    });
    page.on("requestfailed", (r) => requests.push({ method: r.method(), url: r.url(),
                                                    failure: r.failure() && r.failure().errorText }));
    result.requests = requests;
    const nav = await page.goto(origin + "/");
    result.appStatus = nav.status();
    await page.waitForFunction(() => window.sdkReady === true, null, { timeout: 15000 });
    await page.evaluate((ep) => { document.getElementById("endpoint").textContent = ep; }, config.endpoint);

    const client = { endpoint: config.endpoint, region: config.region, forcePathStyle: true,
                     credentials: { accessKeyId: config.accessKey, secretAccessKey: config.secretKey },
                     maxAttempts: 1 };
    // Each step runs inside the page (the SDK's fetch, the page's origin).
    for (const step of config.steps) {
      const consoleAt = result.console.length;
      const out = await page.evaluate(async ({ step, client }) => {
        return window.pailStep(step.name, step.expect || "ok", async (S3) => {
          // A Blob body goes to fetch() as it is only without a flexible checksum: the SDK's
          // checksum middleware takes a Blob for a stream and calls getReader() on it
          // (aws/aws-sdk-js-v3#6834), so that step asks for checksums only when required.
          const s3 = new S3.S3Client(step.blob ? { ...client, requestChecksumCalculation: "WHEN_REQUIRED" }
                                               : client);
          const md = (r) => r.$metadata.httpStatusCode;
          switch (step.op) {
            case "list": {
              const r = await s3.send(new S3.ListObjectsV2Command({ Bucket: step.bucket }));
              return { status: md(r), keys: (r.Contents || []).map((o) => o.Key) };
            }
            case "get": {
              const r = await s3.send(new S3.GetObjectCommand({ Bucket: step.bucket, Key: step.key }));
              return { status: md(r), text: await r.Body.transformToString(), etag: r.ETag,
                       contentType: r.ContentType };
            }
            case "put": {
              const body = step.blob ? new Blob([step.text], { type: step.contentType }) : step.text;
              const r = await s3.send(new S3.PutObjectCommand({ Bucket: step.bucket, Key: step.key,
                                                                Body: body, ContentType: step.contentType }));
              return { status: md(r), etag: r.ETag };
            }
            case "delete": {
              const r = await s3.send(new S3.DeleteObjectCommand({ Bucket: step.bucket, Key: step.key }));
              return { status: md(r) };
            }
            case "head": {
              const r = await s3.send(new S3.HeadObjectCommand({ Bucket: step.bucket, Key: step.key }));
              return { status: md(r), etag: r.ETag, contentLength: r.ContentLength };
            }
            case "fetch": { // a plain fetch() without credentials: a "simple" CORS request
              const r = await fetch(step.url);
              return { status: r.status, text: await r.text() };
            }
            default:
              throw new Error("unknown op " + step.op);
          }
        });
      }, { step, client });
      await page.waitForTimeout(50); // let Chromium's CORS console message arrive
      result.steps.push({ ...step, ...out, shot: await screenshot(page, step.name),
                          consoleSince: result.console.slice(consoleAt).map((m) => m.text) });
      save();
    }
    await page.close();
  } finally {
    app.close();
  }
}

// ----------------------------------------------------------------- site mode
async function pageFacts(page) {
  return page.evaluate(() => ({
    title: document.title,
    text: document.body ? document.body.innerText : "",
    links: [...document.querySelectorAll("a[href]")].map((a) => ({ href: a.href,
                                                                  text: a.textContent.trim() })),
    tableRows: [...document.querySelectorAll("table")].map((t) => ({
      rows: t.querySelectorAll("tbody tr").length || t.querySelectorAll("tr").length,
      headers: [...t.querySelectorAll("thead th")].map((th) => th.textContent.trim()),
    })),
    images: [...document.images].map((i) => ({ src: i.currentSrc || i.src, complete: i.complete,
                                              naturalWidth: i.naturalWidth,
                                              naturalHeight: i.naturalHeight })),
  }));
}

// What a navigation answered and what the page then shows.
async function record(page, step, resp, download) {
  if (resp) {
    let body = null;
    try { body = await resp.body(); } catch (e) { step.bodyError = String(e); }
    Object.assign(step, { status: resp.status(), headers: resp.headers(),
                          contentType: resp.headers()["content-type"] || null });
    if (download) {
      // Chromium saves a text/csv answer instead of showing it, as for a user who clicks.
      const name = `${String(++shotNo).padStart(2, "0")}-${download.suggestedFilename()}`;
      const file = join(config.artifacts, name);
      await download.saveAs(file);
      step.download = { suggestedFilename: download.suggestedFilename(), savedAs: file };
      if (body === null) body = readFileSync(file);
    }
    if (body !== null) Object.assign(step, { bodyBase64: body.toString("base64"), bodyBytes: body.length });
    Object.assign(step, { finalUrl: page.url() }, await pageFacts(page));
    // A download leaves the tab as it was: the saved file is what there is to look at.
    step.shot = download ? null : await screenshot(page, step.name);
  }
  result.steps.push(step);
  save();
  return step;
}

function collectSubresources(page, url) {
  const list = [];
  const on = (r) => {
    if (r.url() !== url) {
      list.push({ url: r.url(), status: r.status(), contentType: r.headers()["content-type"] || null });
    }
  };
  page.on("response", on);
  return { list, stop: () => page.off("response", on) };
}

async function visit(page, url, name) {
  const sub = collectSubresources(page, url);
  let resp = null, error = null;
  try { resp = await page.goto(url, { waitUntil: "load" }); } catch (e) { error = String(e); }
  sub.stop();
  return record(page, { name, url, error, subresources: sub.list }, resp, null);
}

// Opens the index page and clicks its i-th link, as a person would: a page (HTML, an
// image) loads in the tab, a CSV is downloaded.
async function follow(page, indexUrl, i) {
  await page.goto(indexUrl, { waitUntil: "load" });
  const link = page.locator("a[href]").nth(i);
  const href = await link.evaluate((a) => a.href);
  const slug = new URL(href).pathname.replace(/^\/+/, "").replace(/[^A-Za-z0-9._-]+/g, "_") || "root";
  const step = { name: `link${i + 1}-${slug}`, url: href, text: await link.textContent(), error: null };
  const sub = collectSubresources(page, href);
  // Every navigation answer and download while following, for the report if it goes wrong.
  const seen = [];
  const onNav = (r) => {
    if (r.request().isNavigationRequest()) seen.push({ url: r.url(), status: r.status() });
  };
  const onDl = (d) => seen.push({ download: d.url() });
  page.on("response", onNav);
  page.on("download", onDl);
  const respP = page.waitForResponse((r) => r.url() === href && r.request().isNavigationRequest(),
                                     { timeout: 30000 });
  const dlP = page.waitForEvent("download", { timeout: 30000 }).catch(() => null);
  // A download aborts the navigation: waitForURL then fails at once, and the
  // answer is the download (which may be reported a moment later).
  const loadP = page.waitForURL(href, { waitUntil: "load", timeout: 30000 }).then(() => null, () => dlP);
  let resp = null, download = null;
  try {
    await link.click();
    resp = await respP;
    download = await Promise.race([dlP, loadP]);
  } catch (e) {
    step.error = String(e);
    step.seen = seen;
    step.pageUrl = page.url();
  }
  page.off("response", onNav);
  page.off("download", onDl);
  sub.stop();
  step.subresources = sub.list;
  step.linkText = step.text;
  delete step.text;
  return record(page, step, resp, download);
}

async function runSite(browser) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, acceptDownloads: true });
  const page = await context.newPage();
  watch(page);
  const index = await visit(page, config.url, "index");
  for (let i = 0; i < (index.links || []).length; i++) await follow(page, config.url, i);
  for (const path of config.missing || []) {
    const slug = path.replace(/[^A-Za-z0-9._-]+/g, "_");
    const missing = await visit(page, new URL(path, config.url).href, "missing-" + slug);
    // The error page's own link (back to the list), clicked.
    if ((missing.links || []).length) {
      const sub = collectSubresources(page, missing.links[0].href);
      const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }),
                                        page.locator("a[href]").first().click()]);
      sub.stop();
      await record(page, { name: "missing-back-" + slug, url: missing.links[0].href, error: null,
                           subresources: sub.list }, resp, null);
    }
  }
  // Reload: Chromium revalidates its cached index (If-None-Match / If-Modified-Since)
  // and shows the cached page again when pail answers 304.
  await page.goto(config.url, { waitUntil: "load" });
  const revalidations = [];
  const onReq = async (req) => {
    if (req.url() !== config.url) return;
    const h = await req.allHeaders();
    revalidations.push({ ifNoneMatch: h["if-none-match"] || null,
                         ifModifiedSince: h["if-modified-since"] || null });
  };
  page.on("request", onReq);
  const resp = await page.reload({ waitUntil: "load" });
  page.off("request", onReq);
  const step = await record(page, { name: "index-reload", url: config.url, error: null, subresources: [],
                                    conditional: revalidations }, resp, null);
  await context.close();
}

// ---------------------------------------------------------------------- main
// Chromium resolves *.localhost itself, no resolver asked, but tries ::1 before 127.0.0.1:
// on a shared machine another program may listen on [::1] at the port pail has on
// 127.0.0.1, and would answer instead. pail and the app server listen on 127.0.0.1 only,
// so every *.localhost name is mapped there (Host headers stay as the URL says).
const args = ["--no-proxy-server",
              "--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1"];
if (process.getuid && process.getuid() === 0) args.push("--no-sandbox"); // Chromium refuses root otherwise
const t0 = Date.now();
const browser = await chromium.launch({ executablePath: process.env.PAIL_CHROMIUM || "/usr/bin/chromium",
                                        headless: true, args, timeout: 30000 });
result.browserVersion = browser.version();
result.launchMs = Date.now() - t0;
try {
  if (mode === "sdk") await runSdk(browser);
  else await runSite(browser);
  result.done = true;
} catch (e) {
  result.error = String(e && e.stack ? e.stack : e);
} finally {
  save();
  await browser.close();
}
process.exit(result.done ? 0 : 1);
