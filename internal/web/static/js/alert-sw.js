// The silent alert's service worker, served at /alerte/sw.js (scope
// /alerte) after a first line that sets SHELL_VERSION, SHELL (the app
// shell's URLs) and QUEUE_SCRIPT.
//
// It caches the app shell so that /alerte opens offline, and sends the
// alerts left in the outbox (alert-queue.js) when the browser tells it
// the network is back (Background Sync) or when the page asks, retrying
// with back-off while it runs. The page does the same while it is open;
// the server raises one alert per key, so both sending is harmless.
/* global SHELL_VERSION, SHELL, QUEUE_SCRIPT, AlertQueue */
"use strict";

importScripts(QUEUE_SCRIPT);

var CACHE = "alerte-" + SHELL_VERSION;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) {
    return c.addAll(SHELL.map(function (u) { return new Request(u, { cache: "reload", credentials: "same-origin" }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("alerte-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }).then(flush));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === "/alerte" && req.mode === "navigate") {
    // The page: from the network when there is one (fresh language,
    // fresh form), else the cached shell.
    event.respondWith(fetch(req).then(function (res) {
      if (res.ok) {
        var copy = res.clone();
        caches.open(CACHE).then(function (c) { c.put("/alerte", copy); });
      }
      return res;
    }).catch(function () {
      return caches.match("/alerte");
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname + url.search) >= 0) {
    event.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
  }
});

// Background Sync: the browser wakes the worker when the network is back.
self.addEventListener("sync", function (event) {
  if (event.tag === "alerte-envoi") event.waitUntil(flush());
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "flush") event.waitUntil(flush());
});

var flushing = null;

// flush sends every queued alert, retrying with back-off for up to two
// minutes while the worker is kept alive; what is still queued then
// waits for the next sync, message or page.
function flush() {
  if (flushing) return flushing;
  var deadline = Date.now() + 120000;
  flushing = AlertQueue.pending().then(function (recs) {
    return Promise.all(recs.map(function (rec) { return sendWithRetry(rec, 0, deadline); }));
  }).catch(function () {}).then(function () { flushing = null; });
  return flushing;
}

function sendWithRetry(rec, n, deadline) {
  return AlertQueue.send(rec).then(function (r) {
    return self.clients.matchAll({ includeUncontrolled: true }).then(function (cs) {
      cs.forEach(function (c) { c.postMessage({ type: "sent", ref: r.ref, key: r.key, created: r.created }); });
    });
  }, function (e) {
    if (!e || !e.retry || Date.now() > deadline) return;
    var wait = Math.max(e.after || 0, AlertQueue.backoff(n)) * 1000;
    return new Promise(function (res) { setTimeout(res, wait); }).then(function () {
      return sendWithRetry(rec, n + 1, deadline);
    });
  });
}
