#!/usr/bin/env node
// The dashboard of `roomrec serve` in headless Chromium, end to end
// (driven by tests/integration/service-browser.sh):
//
//   / redirects to /dashboard/, a wrong API token is refused on the page
//   (AuthFailure.InvalidToken), the right one is taken; the "new task"
//   form creates a task (single, webm, a room token) that reaches
//   "recording"; a second create for the same room shows
//   FailedOperation.TaskExists; publish.html (second tab, Chromium's fake
//   camera and microphone) takes the room token the dashboard created the
//   task with (the API shows it as "(hidden)"), publishes over WHIP through
//   the service for SECONDS s and the publisher shows up in the task's live
//   participants with its user_id; after its DELETE it is gone; the
//   task's Stop button stops the task, which ends "stopped" (stop_reason
//   "api") with a finished file (status neither RECORDING nor PROCESSING
//   nor a failure), which the dashboard's player plays (videoWidth > 0,
//   currentTime advancing).
//
// usage: node service-dashboard.mjs --url http://127.0.0.1:PORT --token API_TOKEN
//          --room ROOM_ID [--room-token WHIP_TOKEN] [--user USER_ID]
//          [--seconds 6] [--chromium /usr/bin/chromium] [--artifacts DIR]
//
// On success prints "RESULT {json}" (task_id, recording_id, the file's
// name, path and status) and exits 0; on failure prints what the pages
// showed (task cards, notices, console, failed requests, publish log),
// saves screenshots to --artifacts and exits 1.

import { chromium } from "playwright-core";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const opt = {
  url: "", token: "", room: "", "room-token": "", user: "browser-publisher",
  seconds: "6", chromium: process.env.CHROMIUM || "/usr/bin/chromium",
  artifacts: "",
};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith("--") || !(a.slice(2) in opt) || i + 1 >= process.argv.length) {
    console.error("usage: node service-dashboard.mjs --url URL --token TOKEN --room ROOM " +
      "[--room-token T] [--user U] [--seconds N] [--chromium PATH] [--artifacts DIR]");
    process.exit(2);
  }
  opt[a.slice(2)] = process.argv[++i];
}
if (!opt.url || !opt.token || !opt.room) {
  console.error("service-dashboard.mjs: --url, --token and --room are required");
  process.exit(2);
}
const base = opt.url.replace(/\/+$/, "");
const seconds = Number(opt.seconds) || 6;
const FINISHED_NOT = new Set(["RECORDING", "PROCESSING", "PROCESSING_FAIL", "TRANSFER_FAIL", "DELETED"]);

const t0 = Date.now();
const log = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${m}`);
const events = []; // console messages, page errors, failed requests
let step = "start";
let browser = null, dash = null, pub = null;
// checks that fail without stopping the walk through (reported at the end)
const problems = [];
function problem(m) {
  problems.push(`${step}: ${m}`);
  log("PROBLEM: " + m);
}

const guard = setTimeout(() => {
  fail(new Error("the whole test took more than 150 s")).finally(() => process.exit(1));
}, 150000);

function watch(page, name) {
  page.on("console", (m) => events.push(`${name} console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => events.push(`${name} page error: ${e.message}`));
  page.on("requestfailed", (r) => events.push(
    `${name} request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
  page.on("response", (r) => {
    if (r.status() >= 400)
      events.push(`${name} HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
}

async function text(page, selector) {
  try {
    return (await page.locator(selector).first().innerText({ timeout: 1000 })).trim();
  } catch (e) {
    return `(no ${selector})`;
  }
}

async function fail(e) {
  console.log(`FAIL at step "${step}": ${e.message}`);
  if (dash && !dash.isClosed()) {
    console.log("--- dashboard");
    console.log("url: " + dash.url());
    console.log("connection: " + await text(dash, "#conn-status"));
    console.log("token error: " + await text(dash, "#token-error"));
    console.log("new-task notice: " + await text(dash, "#new-task-notice"));
    console.log("tasks notice: " + await text(dash, "#tasks-notice"));
    console.log("player: " + await text(dash, "#player-status"));
    try {
      const v = await dash.evaluate(() => {
        const v = document.getElementById("player-video");
        return v ? { src: v.currentSrc, readyState: v.readyState, networkState: v.networkState,
          currentTime: v.currentTime, videoWidth: v.videoWidth, error: v.error && v.error.code } : null;
      });
      console.log("video: " + JSON.stringify(v));
    } catch (x) { /* page gone */ }
    console.log("task cards:\n" + await text(dash, "#tasks"));
  }
  if (pub && !pub.isClosed()) {
    console.log("--- publish.html");
    console.log("state: " + await text(pub, "#publish-state"));
    console.log(await text(pub, "#publish-log"));
  }
  if (events.length) {
    console.log("--- browser events (last 40)");
    for (const l of events.slice(-40))
      console.log(l);
  }
  if (opt.artifacts) {
    try {
      mkdirSync(opt.artifacts, { recursive: true });
      if (dash && !dash.isClosed())
        await dash.screenshot({ path: join(opt.artifacts, "dashboard.png"), fullPage: true });
      if (pub && !pub.isClosed())
        await pub.screenshot({ path: join(opt.artifacts, "publish.png") });
      writeFileSync(join(opt.artifacts, "events.log"), events.join("\n") + "\n");
      console.log(`screenshots in ${opt.artifacts}`);
    } catch (x) {
      console.log("no screenshots: " + x.message);
    }
  }
}

async function api(method, path) {
  const res = await fetch(base + path, { method, headers: { Authorization: "Bearer " + opt.token } });
  const body = await res.text();
  try {
    return { status: res.status, json: JSON.parse(body) };
  } catch (e) {
    return { status: res.status, json: null, body };
  }
}

async function main() {
  step = "launch chromium";
  browser = await chromium.launch({
    executablePath: opt.chromium,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      "--autoplay-policy=no-user-gesture-required", "--mute-audio",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  log(`Chromium ${browser.version()}`);
  const context = await browser.newContext();
  dash = await context.newPage();
  watch(dash, "dashboard");

  step = "open the dashboard";
  const res = await dash.goto(base + "/", { waitUntil: "load" });
  if (!new URL(dash.url()).pathname.startsWith("/dashboard/"))
    throw new Error(`GET / ended at ${dash.url()}, expected the redirect to /dashboard/`);
  if (!res || res.status() !== 200)
    throw new Error(`/dashboard/ answered ${res && res.status()}`);
  await dash.locator("#token-panel").waitFor({ state: "visible", timeout: 5000 });

  step = "a wrong API token is refused";
  await dash.fill("#token-input", "not-the-token-" + Date.now());
  await dash.click("#token-save");
  await dash.locator("#token-error").filter({ hasText: "AuthFailure.InvalidToken" })
    .waitFor({ timeout: 5000 });
  log("wrong token: " + await text(dash, "#token-error"));

  step = "enter the API token";
  await dash.fill("#token-input", opt.token);
  await dash.click("#token-save");
  await dash.locator('#conn-status[data-state="ok"]').waitFor({ timeout: 5000 });
  const stored = await dash.evaluate(() => localStorage.getItem("roomrec.apiToken"));
  if (stored !== opt.token)
    throw new Error("the token is not kept in localStorage");

  step = "create a task with the form";
  await dash.fill("#new-room-id", opt.room);
  await dash.selectOption("#new-mode", "single");
  await dash.selectOption("#new-format", "webm");
  if (opt["room-token"])
    await dash.fill("#new-token", opt["room-token"]);
  await dash.click("#new-task-submit");
  await dash.locator('#new-task-notice[data-kind="ok"], #new-task-notice[data-kind="error"]')
    .waitFor({ timeout: 10000 });
  if (await dash.getAttribute("#new-task-notice", "data-kind") !== "ok")
    throw new Error("POST /v1/tasks: " + await text(dash, "#new-task-notice"));
  const taskId = await dash.getAttribute("#new-task-notice", "data-task-id");
  log(`created: ${await text(dash, "#new-task-notice")}`);
  const card = dash.locator(`article.task[data-task-id="${taskId}"]`);

  step = "the task reaches recording";
  await dash.locator(`article.task[data-task-id="${taskId}"][data-status="recording"]`)
    .waitFor({ timeout: 30000 });
  if (await card.getAttribute("data-room-id") !== opt.room)
    throw new Error("the card's room is " + await card.getAttribute("data-room-id"));
  log("task " + taskId + " is recording");

  step = "a second task for the room is refused";
  await dash.click("#new-task-submit");
  await dash.locator("#new-task-notice").filter({ hasText: "FailedOperation.TaskExists" })
    .waitFor({ timeout: 10000 });
  log("second create: " + await text(dash, "#new-task-notice"));

  step = "publish from publish.html";
  pub = await context.newPage();
  watch(pub, "publish");
  await pub.goto(`${base}/dashboard/publish.html?room_id=${encodeURIComponent(opt.room)}` +
    `&user_id=${encodeURIComponent(opt.user)}&video=640x360&autostart=1`);
  await pub.waitForFunction(() => ["connected", "error"].includes(window.roomrecPublish?.state),
    null, { timeout: 25000 });
  if (await pub.evaluate(() => window.roomrecPublish.state) !== "connected")
    throw new Error("publish.html: " + await pub.evaluate(() => window.roomrecPublish.error));
  const connectedAt = Date.now();
  if (opt["room-token"] && await pub.inputValue("#whip-token") !== opt["room-token"])
    throw new Error("publish.html did not take the room token the dashboard created the task with");
  log("publishing: " + await pub.evaluate(() => window.roomrecPublish.resource));

  step = "the publisher appears in the task's participants";
  // the connection id is the last segment of the WHIP session URL
  const resource = await pub.evaluate(() => window.roomrecPublish.resource);
  const connId = decodeURIComponent(new URL(resource).pathname.split("/").pop());
  const li = card.locator(`ul.participants li[data-connection-id="${connId}"]`);
  await li.waitFor({ timeout: 10000 });
  const shownUser = await li.getAttribute("data-user-id");
  log(`participant shown: connection ${connId}, user ${JSON.stringify(shownUser)}`);
  if (shownUser !== opt.user)
    problem(`participants[] of connection ${connId} has user_id ${JSON.stringify(shownUser)}, ` +
      `expected ${JSON.stringify(opt.user)} (the ?user_id= of the WHIP POST)`);

  step = `publish for ${seconds} s`;
  await pub.waitForTimeout(Math.max(0, seconds * 1000 - (Date.now() - connectedAt)));
  const stats = await pub.evaluate(() => window.roomrecPublish.stats());
  log("sent: " + JSON.stringify(stats));
  if (!(stats.framesSent > 0) || !(stats.audioBytesSent > 0))
    throw new Error("the browser sent no video or no audio: " + JSON.stringify(stats));

  step = "stop publishing (WHIP DELETE)";
  await pub.click("#stop");
  await pub.waitForFunction(() => ["stopped", "error"].includes(window.roomrecPublish.state),
    null, { timeout: 10000 });
  if (await pub.evaluate(() => window.roomrecPublish.state) !== "stopped")
    throw new Error("publish.html: " + await pub.evaluate(() => window.roomrecPublish.error));
  if (!/DELETE .* → 20[04]/.test(await text(pub, "#publish-log")))
    throw new Error("the WHIP DELETE was not answered 200/204");

  step = "the participant leaves the list";
  await li.waitFor({ state: "detached", timeout: 10000 });
  await pub.close();
  pub = null;

  step = "stop the task with its Stop button";
  await card.locator('[data-action="stop"]').click();
  await dash.locator(`article.task[data-task-id="${taskId}"][data-status="stopped"]`)
    .waitFor({ timeout: 40000 });
  log(`task stopped (${await text(dash, `article.task[data-task-id="${taskId}"] [data-field="stop_reason"]`)})`);

  step = "the file list shows a finished file";
  let row = null;
  const until = Date.now() + 30000;
  for (;;) {
    const rows = await card.locator("table.files tr[data-file-name]").all();
    for (const r of rows) {
      const name = await r.getAttribute("data-file-name");
      const st = await r.getAttribute("data-file-status");
      if (/\.webm$/.test(name) && !FINISHED_NOT.has(st)) {
        row = r;
        break;
      }
    }
    if (row || Date.now() > until)
      break;
    await dash.waitForTimeout(500);
  }
  if (!row)
    throw new Error("no finished .webm in the file list within 30 s");
  const fileName = await row.getAttribute("data-file-name");
  const fileStatus = await row.getAttribute("data-file-status");
  log(`file ${fileName}: ${fileStatus}`);

  step = "play the file in the dashboard's player";
  await row.locator('[data-action="play"]').click();
  await dash.locator("#player").waitFor({ state: "visible", timeout: 5000 });
  await dash.waitForFunction(() => {
    const v = document.getElementById("player-video");
    return v.error || (v.readyState >= 2 && v.videoWidth > 0);
  }, null, { timeout: 15000 });
  const first = await dash.evaluate(() => {
    const v = document.getElementById("player-video");
    return { error: v.error && v.error.code, width: v.videoWidth, height: v.videoHeight,
      duration: v.duration, t: v.currentTime, src: v.currentSrc };
  });
  if (first.error)
    throw new Error("the player failed: MediaError " + first.error);
  if (!first.src.includes("access_token="))
    throw new Error("the player's src has no access_token: " + first.src);
  await dash.waitForFunction((t) => {
    const v = document.getElementById("player-video");
    return v.error || v.currentTime > t + 1;
  }, first.t, { timeout: 10000 });
  const played = await dash.evaluate(() => {
    const v = document.getElementById("player-video");
    return { error: v.error && v.error.code, t: v.currentTime, paused: v.paused };
  });
  if (played.error)
    throw new Error("the player failed: MediaError " + played.error);
  log(`played ${first.width}x${first.height}, duration ${first.duration}, ` +
    `currentTime ${first.t.toFixed(2)} → ${played.t.toFixed(2)}`);
  const playerState = await dash.getAttribute("#player-status", "data-state");
  if (playerState !== "playing")
    throw new Error("the player says " + await text(dash, "#player-status"));

  step = "describe the task";
  const d = await api("GET", "/v1/tasks/" + encodeURIComponent(taskId));
  if (d.status !== 200 || !d.json)
    throw new Error(`GET /v1/tasks/${taskId}: ${d.status} ${d.body || ""}`);
  const file = (d.json.files || []).find((f) => f.name === fileName);
  if (!file)
    throw new Error("the task has no file " + fileName);
  if (d.json.stop_reason !== "api")
    problem("stop_reason is " + JSON.stringify(d.json.stop_reason) + ", expected \"api\"");
  console.log("RESULT " + JSON.stringify({
    task_id: taskId, recording_id: d.json.recording_id, room_id: d.json.room_id,
    file: fileName, path: file.path, status: file.status, size: file.size,
    width: first.width, height: first.height, duration: first.duration,
  }));
  if (problems.length)
    throw new Error(problems.length + " problem(s):\n  " + problems.join("\n  "));
}

let rc = 0;
try {
  await main();
  log("PASS");
} catch (e) {
  rc = 1;
  await fail(e);
} finally {
  clearTimeout(guard);
  if (browser)
    await browser.close().catch(() => {});
}
process.exit(rc);
