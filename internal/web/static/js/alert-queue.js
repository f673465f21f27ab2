// The silent alert's outbox, shared by the page (alert.js) and the service
// worker (alert-sw.js): alerts waiting to reach the server, kept in
// IndexedDB with their key, and the alert open on this phone.
//
// An alert's key is drawn once per send and sent on every retry: the
// server raises one alert per key (a retry answers created: false), so a
// retry after a lost answer, or the page and the worker sending at once,
// never makes two alerts.
(function (root) {
  "use strict";

  var DB = "guichet-alerte";
  var OUTBOX = "outbox";
  var STATE = "state";

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: "key" });
        if (!db.objectStoreNames.contains(STATE)) db.createObjectStore(STATE, { keyPath: "id" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var out;
        var r = fn(t.objectStore(store));
        if (r) r.onsuccess = function () { out = r.result; };
        t.oncomplete = function () { db.close(); resolve(out); };
        t.onerror = function () { db.close(); reject(t.error); };
        t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  // A new key: 144 random bits, base64url (24 characters).
  function newKey() {
    var b = new Uint8Array(18);
    (root.crypto || self.crypto).getRandomValues(b);
    var s = "";
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  var Q = {
    newKey: newKey,
    put: function (rec) { return tx(OUTBOX, "readwrite", function (s) { return s.put(rec); }); },
    pending: function () { return tx(OUTBOX, "readonly", function (s) { return s.getAll(); }); },
    drop: function (key) { return tx(OUTBOX, "readwrite", function (s) { return s.delete(key); }); },
    current: function () { return tx(STATE, "readonly", function (s) { return s.get("current"); }); },
    setCurrent: function (v) { v.id = "current"; return tx(STATE, "readwrite", function (s) { return s.put(v); }); },
    clearCurrent: function () { return tx(STATE, "readwrite", function (s) { return s.delete("current"); }); },

    // send posts one queued alert. It resolves { ref, created } once the
    // server has it (and the alert is then the current one), or rejects
    // with { retry: true, after: seconds } when it may be tried again
    // (no network, the server busy or refusing for a while), or
    // { retry: false } when the server refused it for good.
    send: function (rec) {
      return fetch("/alerte/api/alertes", {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(rec.body)
      }).then(function (res) {
        if (res.ok) {
          return res.json().then(function (data) {
            var cur = { ref: data.ref, key: rec.key, at: rec.at };
            return Q.setCurrent(cur).then(function () { return Q.drop(rec.key); })
              .then(function () { return { ref: data.ref, created: data.created, key: rec.key }; });
          });
        }
        var after = parseInt(res.headers.get("Retry-After") || "", 10);
        if (res.status === 429 || res.status === 408 || res.status >= 500) {
          throw { retry: true, status: res.status, after: isNaN(after) ? 0 : after };
        }
        return Q.drop(rec.key).then(function () { throw { retry: false, status: res.status }; });
      }, function () {
        throw { retry: true, status: 0, after: 0 };
      });
    },

    // backoff is the wait before try n (1, 2, 4… 30 s, with jitter).
    backoff: function (n) {
      var base = Math.min(30, Math.pow(2, Math.max(0, n)));
      return Math.round(base * (0.75 + Math.random() * 0.5) * 10) / 10;
    }
  };

  root.AlertQueue = Q;
})(typeof self !== "undefined" ? self : this);
