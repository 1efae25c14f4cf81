/* roomrec dashboard: the tasks of `roomrec serve`, read from its REST API
 * (docs/openapi.yaml) once a second with the API token the user gives
 * (kept in localStorage, with the WHIP tokens of the tasks it created,
 * which publish.html uses; "Forget token" removes them all).
 *
 * Every string from the API (room ids, user ids, file names, error
 * messages) comes from outside: it reaches the page only through
 * textContent and setAttribute, never as HTML.
 *
 * Stable hooks for tests (tests/browser/service-dashboard.mjs):
 *   #token-input, #token-form, #conn-status[data-state]
 *   #new-task-form with #new-room-id, #new-mode, #new-format, #new-token
 *   #new-task-notice[data-kind]
 *   #tasks > article.task[data-task-id][data-room-id][data-status]
 *     [data-field=status|restarts], [data-action=stop|publish]
 *     ul.participants > li[data-user-id][data-connection-id]
 *     table.files tr[data-file-name][data-file-status] [data-action=play]
 *   #player-video[data-task-id][data-file-name], #player-status[data-state]
 */
"use strict";

(() => {
  const TOKEN_KEY = "roomrec.apiToken";
  const ROOM_TOKEN_KEY = "roomrec.roomToken.";
  const POLL_MS = 1000;
  const ACTIVE = new Set(["starting", "recording", "stopping"]);
  const PLAYABLE = /\.(mp4|m4a|webm|mkv|ogg|opus|m3u8)$/i;

  const $ = (id) => document.getElementById(id);

  let token = null;
  try {
    token = localStorage.getItem(TOKEN_KEY);
  } catch (e) {
    /* storage disabled: the token lives as long as the page */
  }
  let pollTimer = null;
  let polling = false;
  let lastTasks = [];
  const cards = new Map(); /* task_id -> { el, sig } */
  let hls = null;
  let hlsScript = null;

  /* ---------- DOM helpers (text only) ---------- */

  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false)
        continue;
      if (k === "class")
        e.className = v;
      else if (k === "text")
        e.textContent = v;
      else if (k.startsWith("on"))
        e.addEventListener(k.slice(2), v);
      else
        e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false)
        continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function notice(id, kind, text) {
    const n = $(id);
    n.dataset.kind = kind || "";
    n.textContent = text || "";
  }

  /* a CSS class from a status word (the API's, but checked anyway) */
  function statusClass(s) {
    return "badge s-" + (/^[A-Za-z_]+$/.test(s || "") ? s.toLowerCase() : "unknown");
  }

  function fmtTime(iso) {
    if (!iso)
      return "—";
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleString();
  }

  function fmtMs(ms) {
    if (typeof ms !== "number" || !isFinite(ms))
      return "—";
    return new Date(ms).toLocaleString();
  }

  function fmtSize(n) {
    if (typeof n !== "number" || !isFinite(n))
      return "—";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) {
      n /= 1024;
      i++;
    }
    return (i ? n.toFixed(1) : String(n)) + " " + u[i];
  }

  /* ---------- API ---------- */

  class ApiError extends Error {
    constructor(status, code, message, requestId) {
      super(message);
      this.status = status;
      this.code = code;
      this.requestId = requestId;
    }
    describe() {
      return (this.code ? this.code + ": " : "HTTP " + this.status + ": ") +
        this.message + (this.requestId ? " (request " + this.requestId + ")" : "");
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + token };
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, "", "the service does not answer (" + e.message + ")");
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const err = data && data.error ? data.error : {};
      const e = new ApiError(res.status, err.code || "",
        err.message || text.slice(0, 200) || res.statusText,
        data && data.request_id);
      e.retryAfter = Number(res.headers.get("Retry-After")) || 0;
      throw e;
    }
    return data;
  }

  function taskPath(id) {
    return "/v1/tasks/" + encodeURIComponent(id);
  }

  /* a file's URL: its name may hold "/" (kept), every segment encoded */
  function filePath(taskId, name) {
    return taskPath(taskId) + "/files/" +
      String(name).split("/").map(encodeURIComponent).join("/");
  }

  /* ---------- token ---------- */

  function remember(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch (e) {
      /* storage disabled */
    }
  }

  function setToken(t) {
    token = t;
    try {
      if (t)
        localStorage.setItem(TOKEN_KEY, t);
      else
        localStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* ignore */
    }
  }

  function askToken(message) {
    stopPolling();
    $("app").hidden = true;
    $("token-panel").hidden = false;
    $("token-forget").hidden = true;
    notice("token-error", "error", message || "");
    setConn("idle", "not connected");
    $("token-input").focus();
  }

  function showApp() {
    $("token-panel").hidden = true;
    $("app").hidden = false;
    $("token-forget").hidden = false;
    notice("token-error", "", "");
  }

  function setConn(state, text) {
    const c = $("conn-status");
    c.dataset.state = state;
    c.textContent = text;
  }

  /* ---------- polling ---------- */

  function stopPolling() {
    if (pollTimer)
      clearTimeout(pollTimer);
    pollTimer = null;
  }

  function schedule(ms) {
    stopPolling();
    pollTimer = setTimeout(poll, ms);
  }

  async function poll() {
    if (!token || polling)
      return;
    polling = true;
    let next = POLL_MS;
    try {
      const data = await api("GET", "/v1/tasks");
      lastTasks = Array.isArray(data && data.tasks) ? data.tasks : [];
      setConn("ok", "connected · updated " + new Date().toLocaleTimeString());
      render();
    } catch (e) {
      if (e.status === 401 || e.status === 403) {
        polling = false;
        askToken(e.describe());
        return;
      }
      if (e.status === 429)
        next = Math.max(1, e.retryAfter || 1) * 1000 + POLL_MS;
      else if (e.status === 0)
        next = 3000;
      setConn("error", e.describe());
    } finally {
      polling = false;
    }
    if (token && !$("app").hidden)
      schedule(next);
  }

  function refreshSoon() {
    schedule(0);
  }

  /* ---------- rendering ---------- */

  function visible(task) {
    const f = $("filter-status").value;
    if (f === "active" && !ACTIVE.has(task.status))
      return false;
    if (f === "ended" && ACTIVE.has(task.status))
      return false;
    const room = $("filter-room").value.trim().toLowerCase();
    if (room && !String(task.room_id || "").toLowerCase().includes(room))
      return false;
    return true;
  }

  function order(a, b) {
    const aa = ACTIVE.has(a.status) ? 0 : 1, ba = ACTIVE.has(b.status) ? 0 : 1;
    if (aa !== ba)
      return aa - ba;
    return String(b.created_at || "").localeCompare(String(a.created_at || ""));
  }

  function render() {
    const tasks = lastTasks.filter(visible).sort(order);
    $("tasks-total").textContent = "(" + lastTasks.length + ")";
    $("tasks-empty").hidden = tasks.length > 0;
    const box = $("tasks");
    const keep = new Set();
    let prev = null;
    for (const t of tasks) {
      const id = String(t.task_id);
      keep.add(id);
      let c = cards.get(id);
      if (!c) {
        c = newCard(t);
        cards.set(id, c);
      }
      updateCard(c, t);
      /* keep the order without moving nodes that are in place */
      const want = prev ? prev.nextSibling : box.firstChild;
      if (want !== c.el)
        box.insertBefore(c.el, want);
      prev = c.el;
    }
    for (const [id, c] of cards) {
      if (!keep.has(id)) {
        c.el.remove();
        cards.delete(id);
      }
    }
  }

  /* A task's card: built once, its parts updated in place (so that a
   * button being clicked is not replaced under the pointer). */
  function newCard(t) {
    const c = { id: String(t.task_id), sig: {}, fileRows: new Map() };
    c.room = h("h3", { "data-field": "room_id" });
    c.status = h("span", { "data-field": "status" });
    c.publish = h("a", {
      target: "_blank", rel: "noopener", "data-action": "publish", text: "Publish",
      title: "publish from this browser to the room",
    });
    c.stop = h("button", {
      type: "button", class: "danger", "data-action": "stop",
      title: "DELETE /v1/tasks/" + t.task_id, text: "Stop",
    });
    c.stop.addEventListener("click", () => stopTask(c.id, c.stop));
    c.dl = h("dl");
    c.participants = h("div", { "data-field": "participants" });
    c.files = h("div", { "data-field": "files" });
    c.el = h("article", { class: "task", "data-task-id": c.id },
      h("header", {}, c.room, c.status, h("span", { class: "actions" }, c.publish, c.stop)),
      c.dl, c.participants, c.files);
    return c;
  }

  /* whether @value's JSON differs from the last one seen under @key */
  function changed(c, key, value) {
    const sig = JSON.stringify(value);
    if (c.sig[key] === sig)
      return false;
    c.sig[key] = sig;
    return true;
  }

  function updateCard(c, t) {
    const active = ACTIVE.has(t.status);
    const el = c.el;
    el.dataset.roomId = t.room_id;
    el.dataset.status = t.status;
    c.room.textContent = t.room_id;
    c.status.className = statusClass(t.status);
    c.status.textContent = t.status;
    c.publish.href = "/dashboard/publish.html?room_id=" + encodeURIComponent(t.room_id);
    c.publish.hidden = !active;
    if (!c.stopBusy) {
      c.stop.disabled = !active || t.status === "stopping";
      c.stop.textContent = t.status === "stopping" ? "Stopping…" : "Stop";
    }

    const cfg = t.config && typeof t.config === "object" ? t.config : {};
    const format = t.mode === "mixed" ? (cfg.mix && cfg.mix.format) || "hls (mix)"
      : cfg.format || "default";
    const rows = [
      ["task", t.task_id, "task_id"], ["app", t.app], ["mode", t.mode], ["format", format],
      ["created", fmtTime(t.created_at)], ["started", fmtTime(t.started_at)],
      ["stopped", fmtTime(t.stopped_at)], ["stop reason", t.stop_reason || "—", "stop_reason"],
      ["restarts", String(t.restarts ?? 0), "restarts"],
      ["recording id", t.recording_id || "—"], ["WHIP", t.whip_url || "—"],
      ["report", t.report || "—"],
    ];
    if (changed(c, "dl", rows)) {
      c.dl.replaceChildren(...rows.flatMap(([k, v, f]) =>
        [h("dt", { text: k }), h("dd", { text: v, "data-field": f })]));
    }

    const people = Array.isArray(t.participants) ? t.participants : [];
    if (changed(c, "participants", people))
      fillParticipants(c.participants, people);
    fillFiles(c, t);
  }

  function fillParticipants(box, list) {
    box.replaceChildren(h("h4", { text: "Participants (" + list.length + ")" }));
    if (!list.length) {
      box.append(h("p", { class: "none", text: "nobody publishing" }));
      return;
    }
    const ul = h("ul", { class: "participants" });
    for (const p of list) {
      ul.append(h("li", {
        "data-user-id": p.user_id || "", "data-connection-id": p.connection_id || "",
        title: "connection " + (p.connection_id || "?"),
      }, p.user_id || "(anonymous)", h("span", { class: "conn", text: p.connection_id || "" })));
    }
    box.append(ul);
  }

  function fillFiles(c, t) {
    const files = Array.isArray(t.files) ? t.files : [];
    if (changed(c, "fileCount", files.length) || !c.fileBody) {
      c.fileTitle = h("h4");
      c.fileBody = h("tbody");
      c.fileNone = h("p", { class: "none", text: "no files yet" });
      c.fileTable = h("table", { class: "files" },
        h("thead", {}, h("tr", {},
          h("th", { text: "name" }), h("th", { text: "participant" }),
          h("th", { text: "begins" }), h("th", { text: "size" }),
          h("th", { text: "status" }), h("th", {}))),
        c.fileBody);
      c.files.replaceChildren(c.fileTitle, c.fileNone, c.fileTable);
    }
    c.fileTitle.textContent = "Files (" + files.length + ")";
    c.fileNone.hidden = files.length > 0;
    c.fileTable.hidden = files.length === 0;
    const keep = new Set();
    let prev = null;
    for (const f of files) {
      const name = String(f.name || "");
      keep.add(name);
      let r = c.fileRows.get(name);
      if (!r) {
        r = newFileRow(c.id, name);
        c.fileRows.set(name, r);
      }
      updateFileRow(r, f);
      const want = prev ? prev.nextSibling : c.fileBody.firstChild;
      if (want !== r.tr)
        c.fileBody.insertBefore(r.tr, want);
      prev = r.tr;
    }
    for (const [name, r] of c.fileRows) {
      if (!keep.has(name)) {
        r.tr.remove();
        c.fileRows.delete(name);
      }
    }
  }

  function newFileRow(taskId, name) {
    const r = { url: filePath(taskId, name) };
    r.name = h("td", { class: "name", text: name });
    r.conn = h("td");
    r.begin = h("td", { class: "num" });
    r.size = h("td", { class: "num" });
    r.status = h("span");
    r.play = h("button", { type: "button", "data-action": "play", text: "Play" });
    r.play.addEventListener("click", () => openPlayer(taskId, name));
    r.download = h("a", {
      download: name.split("/").pop(), rel: "noreferrer", "data-action": "download",
      text: "Download",
    });
    r.tr = h("tr", { "data-file-name": name },
      r.name, r.conn, r.begin, r.size, h("td", {}, r.status),
      h("td", { class: "act" }, r.play, r.download));
    return r;
  }

  function updateFileRow(r, f) {
    const name = r.tr.dataset.fileName;
    r.tr.dataset.fileStatus = f.status || "";
    r.name.title = f.path || "";
    r.conn.textContent = f.connection_id || "—";
    r.begin.textContent = fmtMs(f.begin_timestamp);
    r.size.textContent = fmtSize(f.size);
    r.status.className = statusClass(f.status);
    r.status.textContent = f.status || "?";
    r.play.disabled = !PLAYABLE.test(name) || f.status === "DELETED";
    r.download.href = r.url + "?access_token=" + encodeURIComponent(token || "");
    r.download.hidden = f.status === "DELETED";
  }

  /* ---------- actions ---------- */

  async function stopTask(id, button) {
    const c = cards.get(id);
    if (c)
      c.stopBusy = true;
    button.disabled = true;
    try {
      const t = await api("DELETE", taskPath(id));
      notice("tasks-notice", "ok", "stopping task " + (t && t.task_id ? t.task_id : id) +
        (t && t.room_id ? " (room " + t.room_id + ")" : ""));
    } catch (e) {
      notice("tasks-notice", "error", "stop: " + e.describe());
      button.disabled = false;
    } finally {
      if (c)
        c.stopBusy = false;
    }
    refreshSoon();
  }

  function modeChanged() {
    const mode = $("new-mode").value;
    $("new-format").disabled = mode === "mixed";
    $("new-mix-format-label").hidden = mode === "single";
    $("new-layout-label").hidden = mode === "single";
  }

  async function createTask(ev) {
    ev.preventDefault();
    const body = {};
    const extra = $("new-extra").value.trim();
    if (extra) {
      let x;
      try {
        x = JSON.parse(extra);
      } catch (e) {
        notice("new-task-notice", "error", "more keys: not JSON (" + e.message + ")");
        return;
      }
      if (!x || typeof x !== "object" || Array.isArray(x)) {
        notice("new-task-notice", "error", "more keys: not a JSON object");
        return;
      }
      Object.assign(body, x);
    }
    body.room_id = $("new-room-id").value.trim();
    const mode = $("new-mode").value;
    body.mode = mode;
    const app = $("new-app").value.trim();
    if (app)
      body.app = app;
    if (mode !== "mixed" && $("new-format").value)
      body.format = $("new-format").value;
    if (mode !== "single") {
      const mix = Object.assign({}, body.mix || {});
      if ($("new-mix-format").value)
        mix.format = $("new-mix-format").value;
      if ($("new-layout").value)
        mix.layout = $("new-layout").value;
      if (Object.keys(mix).length)
        body.mix = mix;
    }
    const wt = $("new-token").value;
    if (wt)
      body.token = wt;
    const submit = $("new-task-submit");
    submit.disabled = true;
    notice("new-task-notice", "", "creating…");
    try {
      const t = await api("POST", "/v1/tasks", body);
      /* the API shows a task's token as "(hidden)": publish.html takes
       * it from here (same origin, like the API token) */
      if (wt)
        remember(ROOM_TOKEN_KEY + t.room_id, wt);
      notice("new-task-notice", "ok", "task " + t.task_id + " records room " + t.room_id +
        " (" + t.status + "); WHIP: " + (t.whip_url || "—"));
      $("new-task-notice").dataset.taskId = t.task_id;
    } catch (e) {
      notice("new-task-notice", "error", e.describe());
    } finally {
      submit.disabled = false;
    }
    refreshSoon();
  }

  /* ---------- player ---------- */

  function playerState(state, text) {
    const s = $("player-status");
    s.dataset.state = state;
    s.dataset.kind = state === "error" ? "error" : "";
    s.textContent = text;
  }

  function closePlayer() {
    const v = $("player-video");
    if (hls) {
      hls.destroy();
      hls = null;
    }
    v.pause();
    v.removeAttribute("src");
    v.load();
    delete v.dataset.taskId;
    delete v.dataset.fileName;
    $("player").hidden = true;
    playerState("", "");
  }

  function loadHlsjs() {
    if (window.Hls)
      return Promise.resolve(window.Hls);
    if (!hlsScript) {
      hlsScript = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = "/dashboard/hls.min.js";
        s.onload = () => window.Hls ? resolve(window.Hls)
          : reject(new Error("hls.min.js defines no Hls"));
        s.onerror = () => {
          hlsScript = null;
          reject(new Error("no /dashboard/hls.min.js (set \"hlsjs\" in the service config)"));
        };
        document.head.append(s);
      });
    }
    return hlsScript;
  }

  async function openPlayer(taskId, name) {
    closePlayer();
    const v = $("player-video");
    const url = filePath(taskId, name);
    $("player").hidden = false;
    $("player-title").textContent = name;
    const dl = $("player-download");
    dl.href = url + "?access_token=" + encodeURIComponent(token || "");
    dl.setAttribute("download", name.split("/").pop());
    v.dataset.taskId = taskId;
    v.dataset.fileName = name;
    playerState("loading", "loading…");
    $("player").scrollIntoView({ block: "nearest" });

    if (/\.m3u8$/i.test(name)) {
      let Hls;
      try {
        Hls = await loadHlsjs();
      } catch (e) {
        if (v.canPlayType("application/vnd.apple.mpegurl")) {
          v.src = url + "?access_token=" + encodeURIComponent(token || "");
          v.play().catch(() => {});
          return;
        }
        playerState("error", e.message);
        return;
      }
      if (v.dataset.fileName !== name)
        return; /* closed or another file meanwhile */
      if (!Hls.isSupported()) {
        playerState("error", "this browser has no MediaSource for hls.js");
        return;
      }
      const auth = token;
      hls = new Hls({
        xhrSetup: (xhr) => xhr.setRequestHeader("Authorization", "Bearer " + auth),
      });
      hls.on(Hls.Events.ERROR, (_, d) => {
        if (d && d.fatal)
          playerState("error", "hls.js: " + d.type + " " + d.details);
      });
      hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch(() => {}));
      hls.loadSource(url);
      hls.attachMedia(v);
      return;
    }
    v.src = url + "?access_token=" + encodeURIComponent(token || "");
    v.play().catch(() => {}); /* autoplay may be refused: the controls stay */
  }

  function wirePlayer() {
    const v = $("player-video");
    v.addEventListener("playing", () => playerState("playing", "playing"));
    v.addEventListener("pause", () => {
      if (!v.ended && v.dataset.fileName)
        playerState("paused", "paused");
    });
    v.addEventListener("ended", () => playerState("ended", "ended"));
    v.addEventListener("loadedmetadata", () => {
      if ($("player-status").dataset.state === "loading")
        playerState("ready", "ready: " + (v.videoWidth ? v.videoWidth + "×" + v.videoHeight + ", " : "") +
          (isFinite(v.duration) ? v.duration.toFixed(1) + " s" : "live"));
    });
    v.addEventListener("error", () => {
      if (!v.dataset.fileName)
        return;
      const err = v.error;
      playerState("error", "cannot play: " + (err ? "code " + err.code +
        (err.message ? " (" + err.message + ")" : "") : "unknown error"));
    });
    $("player-close").addEventListener("click", closePlayer);
  }

  /* ---------- start ---------- */

  function init() {
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const t = $("token-input").value.trim();
      if (!t)
        return;
      setToken(t);
      $("token-input").value = "";
      showApp();
      setConn("idle", "connecting…");
      refreshSoon();
    });
    $("token-forget").addEventListener("click", () => {
      setToken(null);
      try {
        for (const k of Object.keys(localStorage))
          if (k.startsWith(ROOM_TOKEN_KEY))
            localStorage.removeItem(k);
      } catch (e) {
        /* storage disabled */
      }
      closePlayer();
      lastTasks = [];
      for (const c of cards.values())
        c.el.remove();
      cards.clear();
      askToken("");
    });
    $("new-task-form").addEventListener("submit", createTask);
    $("new-mode").addEventListener("change", modeChanged);
    $("filter-status").addEventListener("change", render);
    $("filter-room").addEventListener("input", render);
    wirePlayer();
    modeChanged();
    if (token) {
      showApp();
      setConn("idle", "connecting…");
      refreshSoon();
    } else {
      askToken("");
    }
  }

  init();
})();
