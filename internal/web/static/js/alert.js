// The silent alert app (/alerte). Without this file the page is a plain
// form; with it: hold to send, a few seconds to cancel, the alert queued
// in IndexedDB (alert-queue.js) and retried with back-off until the
// server has it, then the honest state, a silent chat, position updates
// and "I am safe now". No sound; a vibration only if the person chose it.
(function () {
  "use strict";

  var app = document.getElementById("app");
  var plain = document.getElementById("plain");
  var Q = window.AlertQueue;
  if (!app || !plain || !Q || !window.indexedDB || !window.fetch) return;

  var PROFILE = "guichet.alerte.profil";
  var DEVICE = "guichet.alerte.appareil";
  var HOLD_MS = parseInt(app.dataset.holdMs, 10) || 2000;
  var CANCEL_S = parseInt(app.dataset.cancelSec, 10) || 5;
  var POLL_MS = 2500;
  var POS_MIN_MS = 5000;
  var POS_MOVE_M = 25;

  function t(name) {
    var s = app.dataset["t" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
    for (var i = 1; i < arguments.length; i++) s = s.split("{" + (i - 1) + "}").join(String(arguments[i]));
    return s;
  }
  function $(id) { return document.getElementById(id); }
  function show(view) {
    ["v-idle", "v-cancel", "v-live", "v-closed"].forEach(function (v) { $(v).hidden = v !== view; });
    // The discreet view: nothing says what this is once an alert is open.
    document.body.classList.toggle("discreet", view !== "v-idle");
  }

  // The plain form stays for a post that came back with errors, or on demand.
  if (plain.dataset.open === "1") {
    return;
  }
  plain.hidden = true;
  app.hidden = false;
  $("show-plain").addEventListener("click", function () {
    // A key of its own: the shell may come from the cache, with an old one.
    $("plain-key").value = Q.newKey();
    app.hidden = true;
    plain.hidden = false;
    var first = plain.querySelector("textarea, input:not([type=hidden])");
    if (first) first.focus();
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/alerte/sw.js", { scope: "/alerte" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "sent") onSent({ ref: e.data.ref, key: e.data.key });
    });
  }

  // ---- Profile, kept on this phone only ----
  function loadProfile() {
    try { return JSON.parse(localStorage.getItem(PROFILE) || "{}"); } catch (e) { return {}; }
  }
  var pform = $("profile");
  (function fill() {
    var p = loadProfile();
    pform.elements.name.value = p.name || "";
    pform.elements.phone.value = p.phone || "";
    pform.elements.medical_notes.value = p.medical_notes || "";
    pform.elements.languages.value = (p.languages || []).join(", ");
    pform.elements.deaf.checked = !!p.deaf;
    var cs = p.contacts || [];
    pform.elements.c1_name.value = (cs[0] || {}).name || "";
    pform.elements.c1_phone.value = (cs[0] || {}).phone || "";
    pform.elements.c2_name.value = (cs[1] || {}).name || "";
    pform.elements.c2_phone.value = (cs[1] || {}).phone || "";
    pform.elements.device.checked = !!localStorage.getItem(DEVICE);
    pform.elements.vibrate.checked = !!p.vibrate;
  })();
  pform.addEventListener("submit", function (e) {
    e.preventDefault();
    var el = pform.elements;
    var contacts = [];
    [["c1_name", "c1_phone"], ["c2_name", "c2_phone"]].forEach(function (c) {
      var n = el[c[0]].value.trim(), ph = el[c[1]].value.trim();
      if (n || ph) contacts.push({ name: n, phone: ph });
    });
    var p = {
      name: el.name.value.trim(), phone: el.phone.value.trim(), medical_notes: el.medical_notes.value.trim(),
      languages: el.languages.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean),
      deaf: el.deaf.checked, contacts: contacts, vibrate: el.vibrate.checked
    };
    localStorage.setItem(PROFILE, JSON.stringify(p));
    if (el.device.checked && !localStorage.getItem(DEVICE)) localStorage.setItem(DEVICE, Q.newKey());
    if (!el.device.checked) localStorage.removeItem(DEVICE);
    $("profile-status").textContent = t("profileSaved");
  });

  // ---- Position and battery ----
  var lastFix = null;
  var geoNote = $("geo-note");
  function fixOf(pos) {
    return { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: Math.max(0, pos.coords.accuracy || 0), battery: -1 };
  }
  function locate(timeoutMs) {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { geoNote.textContent = t("geoNone"); resolve(null); return; }
      geoNote.textContent = t("geoAsking");
      navigator.geolocation.getCurrentPosition(function (pos) {
        lastFix = fixOf(pos);
        geoNote.textContent = t("geoOk", Math.round(lastFix.accuracy));
        resolve(lastFix);
      }, function (err) {
        geoNote.textContent = err && err.code === 1 ? t("geoDenied") : t("geoNone");
        resolve(null);
      }, { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30000 });
    });
  }
  var battery = -1;
  if (navigator.getBattery) {
    navigator.getBattery().then(function (b) {
      battery = b.level;
      b.addEventListener("levelchange", function () { battery = b.level; });
    }).catch(function () {});
  }
  function withBattery(fix) {
    if (!fix) return null;
    return { lat: fix.lat, lon: fix.lon, accuracy: fix.accuracy, battery: battery >= 0 && battery <= 1 ? battery : -1 };
  }
  // A fix ready before the hold, when permission was given already.
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({ name: "geolocation" }).then(function (st) {
      if (st.state === "granted") locate(10000);
      if (st.state === "denied") geoNote.textContent = t("geoDenied");
    }).catch(function () {});
  }

  // ---- Hold to send ----
  var hold = $("hold"), ring = $("ring"), prog = $("hold-progress"), holdStatus = $("hold-status");
  var RING = 2 * Math.PI * 54;
  ring.style.strokeDasharray = RING;
  ring.style.strokeDashoffset = RING;
  var holdStart = 0, holdFrame = 0, holding = false;
  function setProgress(f) {
    ring.style.strokeDashoffset = RING * (1 - f);
    var pct = Math.round(f * 100);
    prog.value = pct;
    prog.textContent = pct + " %";
  }
  function startHold() {
    if (holding) return;
    holding = true;
    holdStart = performance.now();
    hold.classList.add("holding");
    holdStatus.textContent = t("holdKeep");
    locate(15000);
    var step = function (now) {
      if (!holding) return;
      var f = Math.min(1, (now - holdStart) / HOLD_MS);
      setProgress(f);
      if (f >= 1) { holding = false; hold.classList.remove("holding"); holdStatus.textContent = t("holdDone"); countdown(); return; }
      holdFrame = requestAnimationFrame(step);
    };
    holdFrame = requestAnimationFrame(step);
  }
  function stopHold() {
    if (!holding) return;
    holding = false;
    cancelAnimationFrame(holdFrame);
    hold.classList.remove("holding");
    setProgress(0);
    holdStatus.textContent = t("holdShort");
  }
  hold.addEventListener("pointerdown", function (e) {
    e.preventDefault();
    if (hold.setPointerCapture) { try { hold.setPointerCapture(e.pointerId); } catch (x) { /* synthetic pointer */ } }
    startHold();
  });
  ["pointerup", "pointercancel", "lostpointercapture"].forEach(function (ev) { hold.addEventListener(ev, stopHold); });
  hold.addEventListener("contextmenu", function (e) { e.preventDefault(); });
  hold.addEventListener("keydown", function (e) {
    if (e.key !== " " && e.key !== "Enter") return;
    e.preventDefault();
    if (!e.repeat) startHold();
  });
  hold.addEventListener("keyup", function (e) {
    if (e.key !== " " && e.key !== "Enter") return;
    e.preventDefault();
    stopHold();
  });
  hold.addEventListener("blur", stopHold);

  // ---- A few seconds to cancel ----
  var countTimer = 0;
  function countdown() {
    var left = CANCEL_S;
    show("v-cancel");
    $("count-text").textContent = t("count", left);
    $("cancel").focus();
    countTimer = setInterval(function () {
      left--;
      if (left <= 0) { clearInterval(countTimer); send(); return; }
      $("count-text").textContent = t("count", left);
    }, 1000);
  }
  $("cancel").addEventListener("click", function () {
    clearInterval(countTimer);
    setProgress(0);
    show("v-idle");
    holdStatus.textContent = t("cancelled");
    hold.focus();
  });

  // ---- Sending: the outbox, retried until the server answers ----
  var current = null; // { ref, key }
  var retryTimer = 0, tries = 0;
  var sentFix = null; // the position the alert left with
  var stateEl = $("state");
  function selectedType() {
    var r = document.querySelector("input[name=app-type]:checked");
    return r ? r.value : "other";
  }
  function send() {
    var p = loadProfile();
    var body = {
      type: selectedType(), key: Q.newKey(), position: withBattery(lastFix), lang: app.dataset.lang,
      profile: { name: p.name || "", phone: p.phone || "", medical_notes: p.medical_notes || "", languages: p.languages || [],
        deaf: !!p.deaf, contacts: (p.contacts || []).slice(0, 2) },
      device: localStorage.getItem(DEVICE) || ""
    };
    var rec = { key: body.key, body: body, at: Date.now() };
    sentFix = body.position;
    showSending();
    Q.put(rec).then(function () {
      if (navigator.serviceWorker && navigator.serviceWorker.ready) {
        navigator.serviceWorker.ready.then(function (reg) { if (reg.sync) return reg.sync.register("alerte-envoi"); }).catch(function () {});
      }
      tries = 0;
      flush();
    });
  }
  function showSending() {
    show("v-live");
    stateEl.textContent = t("sending");
    $("ref-line").textContent = "";
    setLive(false);
  }
  function flush() {
    clearTimeout(retryTimer);
    return Q.pending().then(function (recs) {
      if (!recs.length) return;
      var rec = recs[0];
      return Q.send(rec).then(onSent, function (e) {
        if (!e.retry) { stateEl.textContent = t("refused"); return; }
        var wait = Math.max(e.after || 0, Q.backoff(tries++));
        stateEl.textContent = e.status === 429 ? t("limited", Math.ceil(wait)) : e.status === 0 ? t("offline", Math.ceil(wait)) : t("sending");
        retryTimer = setTimeout(flush, wait * 1000);
      });
    });
  }
  window.addEventListener("online", function () { if (!current) flush(); });

  function onSent(r) {
    if (current && current.ref === r.ref) return;
    current = { ref: r.ref, key: r.key };
    clearTimeout(retryTimer);
    $("ref-line").textContent = t("ref", r.ref);
    setLive(true);
    poll();
    watch();
    // A fix that came after the send goes as a position update.
    if (sentFix) { lastSent = sentFix; lastSentAt = Date.now(); } else if (lastFix) { sendPosition(lastFix, true); }
    sentFix = null;
  }
  function setLive(on) {
    document.querySelectorAll("#v-live [data-quick], #v-live [data-picto], #chat-send, #safe").forEach(function (b) { b.disabled = !on; });
  }

  function api(path, opts) {
    opts = opts || {};
    var h = { "Accept": "application/json", "X-Alerte-Cle": current.key };
    if (opts.body !== undefined) h["Content-Type"] = "application/json";
    return fetch("/alerte/api/alertes/" + encodeURIComponent(current.ref) + path, {
      method: opts.method || "GET", credentials: "same-origin", cache: "no-store", headers: h,
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined
    });
  }

  // ---- The honest state and the chat ----
  var pollTimer = 0, lastState = "", shownChat = "";
  function poll() {
    clearTimeout(pollTimer);
    if (!current) return;
    api("").then(function (res) {
      if (res.status === 404) { forget(); return null; }
      return res.ok ? res.json() : null;
    }).then(function (s) {
      if (s) render(s);
    }).catch(function () {}).then(function () {
      if (current && lastState !== "closed") pollTimer = setTimeout(poll, POLL_MS);
    });
  }
  function render(s) {
    if (s.state !== lastState) {
      if (lastState && s.state === "acknowledged" && loadProfile().vibrate && navigator.vibrate) navigator.vibrate(200);
      lastState = s.state;
    }
    if (stateEl.textContent !== s.text) stateEl.textContent = s.text;
    var chat = $("chat");
    var key = JSON.stringify(s.messages);
    if (key !== shownChat) {
      shownChat = key;
      // Only what is new is added, so the log reads each message once.
      var none = chat.querySelector(".chat-line--none");
      if (s.messages.length && none) none.remove();
      if (!s.messages.length && !none) {
        none = document.createElement("li");
        none.className = "chat-line chat-line--none";
        none.textContent = t("empty");
        chat.appendChild(none);
      }
      var have = chat.querySelectorAll("li.chat-line:not(.chat-line--none)").length;
      s.messages.slice(have).forEach(function (m) {
        var li = document.createElement("li");
        li.className = "chat-line chat-line--" + m.from;
        var who = document.createElement("span");
        who.className = "chat-who";
        who.textContent = m.from === "citizen" ? t("you") : t("them");
        li.appendChild(who);
        var text = " " + (m.quick ? (m.picto ? m.picto + " " : "") + m.label : "") + (m.quick && m.text ? " — " : "") + (m.text || "");
        li.appendChild(document.createTextNode(text));
        chat.appendChild(li);
      });
    }
    if (s.closed) closed(s.text);
  }
  function closed(text) {
    stopWatch();
    clearTimeout(pollTimer);
    Q.clearCurrent();
    current = null;
    lastState = "";
    shownChat = "";
    $("chat").textContent = "";
    show("v-closed");
    $("closed-text").textContent = text;
  }
  function forget() {
    closed("");
    show("v-idle");
  }
  $("again").addEventListener("click", function () { setProgress(0); holdStatus.textContent = ""; show("v-idle"); hold.focus(); });

  function say(body) {
    var st = $("chat-status");
    return api("/messages", { method: "POST", body: body }).then(function (res) {
      st.textContent = res.ok ? t("msgSent") : t("msgFailed");
      if (res.ok) poll();
      return res.ok;
    }, function () { st.textContent = t("msgFailed"); return false; });
  }
  document.querySelectorAll("#v-live [data-quick]").forEach(function (b) {
    b.addEventListener("click", function () { if (current) say({ quick: b.dataset.quick }); });
  });
  document.querySelectorAll("#v-live [data-picto]").forEach(function (b) {
    b.addEventListener("click", function () { if (current) say({ text: b.dataset.picto }); });
  });
  $("chat-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var ta = $("chat-text");
    var text = ta.value.trim();
    if (!text || !current) return;
    say({ text: text }).then(function (ok) { if (ok) ta.value = ""; });
  });

  // ---- "I am safe now" ----
  $("safe").addEventListener("click", function () { $("safe-confirm").hidden = false; $("safe-yes").focus(); });
  $("safe-no").addEventListener("click", function () { $("safe-confirm").hidden = true; $("safe").focus(); });
  $("safe-yes").addEventListener("click", function () {
    if (!current) return;
    api("/fin", { method: "POST" }).then(function (res) {
      $("safe-confirm").hidden = true;
      if (res.ok || res.status === 409) poll();
    }).catch(function () { $("chat-status").textContent = t("msgFailed"); });
  });

  // ---- Position updates while open: at most one every 5 s, unless moved > 25 m ----
  var watchID = null, lastSent = null, lastSentAt = 0;
  function metres(a, b) {
    var R = 6371000, rad = Math.PI / 180;
    var dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * R * Math.asin(Math.sqrt(h));
  }
  function sendPosition(fix, force) {
    if (!current) return;
    var now = Date.now();
    var moved = lastSent ? metres(lastSent, fix) : Infinity;
    if (!force && now - lastSentAt < POS_MIN_MS && moved <= POS_MOVE_M) return;
    if (!force && lastSent && moved < 1 && now - lastSentAt < 30000) return;
    lastSent = fix;
    lastSentAt = now;
    api("/positions", { method: "POST", body: withBattery(fix) }).then(function (res) {
      if (res.status === 409) stopWatch();
    }).catch(function () {});
  }
  function watch() {
    if (!navigator.geolocation || watchID !== null) return;
    watchID = navigator.geolocation.watchPosition(function (pos) {
      lastFix = fixOf(pos);
      sendPosition(lastFix, false);
    }, function () {}, { enableHighAccuracy: true, maximumAge: 5000 });
  }
  function stopWatch() {
    if (watchID !== null) navigator.geolocation.clearWatch(watchID);
    watchID = null;
  }

  // ---- Back to where this phone was: an open alert, or one still queued ----
  Q.current().then(function (cur) {
    if (cur && cur.ref) {
      show("v-live");
      stateEl.textContent = t("sending");
      onSent({ ref: cur.ref, key: cur.key });
      return;
    }
    return Q.pending().then(function (recs) {
      if (recs.length) { showSending(); flush(); }
    });
  }).catch(function () {});
})();
