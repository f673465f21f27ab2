// Passkeys (WebAuthn) on the agent sign-in and security pages. An
// enhancement only: without JavaScript, or without WebAuthn, agents use
// their authenticator app's code. No inline script: this file is loaded
// with defer (after site.js, which reveals .js-only blocks) and finds its
// buttons by id. Every message shown comes from the page (translated):
// the "detail" of the server's problem details (RFC 9457), or the error
// element's data-failed.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials || !navigator.credentials.create) {
    // site.js has revealed the passkey blocks: hide them again, and say
    // why where the page has room for it.
    document.querySelectorAll(".agent-passkey").forEach(function (el) { el.hidden = true; });
    document.querySelectorAll(".agent-passkey-unsupported").forEach(function (el) { el.hidden = false; });
    return;
  }

  function b64urlToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // ServerError carries a message the server wrote for the agent.
  function ServerError(msg) { this.message = msg; }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json, application/problem+json" },
      body: body === undefined ? "{}" : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok || typeof j !== "object" || j === null) { throw new ServerError(j && j.detail); }
        return j;
      });
    });
  }

  var errorEl = document.getElementById("passkey-error");

  function clearError() {
    if (errorEl) { errorEl.hidden = true; errorEl.textContent = ""; }
  }

  // showError shows the server's message, else the page's generic one:
  // the browser's own messages (a cancelled or timed-out ceremony) are
  // in English and name WebAuthn internals.
  function showError(e) {
    if (!errorEl) { return; }
    var msg = (e instanceof ServerError && e.message) || errorEl.getAttribute("data-failed") || "";
    errorEl.textContent = msg;
    errorEl.hidden = false;
  }

  function credentialJSON(c) {
    var out = { id: c.id, rawId: bufToB64url(c.rawId), type: c.type, response: {} };
    var r = c.response;
    out.response.clientDataJSON = bufToB64url(r.clientDataJSON);
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64url(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    }
    if (r.authenticatorData) {
      out.response.authenticatorData = bufToB64url(r.authenticatorData);
      out.response.signature = bufToB64url(r.signature);
      if (r.userHandle) { out.response.userHandle = bufToB64url(r.userHandle); }
    }
    out.clientExtensionResults = c.getClientExtensionResults ? c.getClientExtensionResults() : {};
    return out;
  }

  var login = document.getElementById("passkey-login");
  if (login) {
    login.addEventListener("click", function () {
      login.disabled = true;
      clearError();
      post("/agent/connexion/passkey/options").then(function (o) {
        var pk = o.publicKey;
        pk.challenge = b64urlToBuf(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
        return navigator.credentials.get({ publicKey: pk });
      }).then(function (c) {
        var ret = encodeURIComponent(login.getAttribute("data-retour") || "/agent/");
        return post("/agent/connexion/passkey?retour=" + ret, credentialJSON(c));
      }).then(function (j) {
        window.location.assign(j.redirect);
      }).catch(function (e) {
        login.disabled = false;
        showError(e);
        login.focus(); // disabling it moved the focus away
      });
    });
  }

  var reg = document.getElementById("passkey-register");
  if (reg) {
    reg.addEventListener("click", function () {
      reg.disabled = true;
      clearError();
      post("/agent/securite/passkeys/options").then(function (o) {
        var pk = o.publicKey;
        pk.challenge = b64urlToBuf(pk.challenge);
        pk.user.id = b64urlToBuf(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
        return navigator.credentials.create({ publicKey: pk });
      }).then(function (c) {
        var name = encodeURIComponent(document.getElementById("passkey-name").value);
        return post("/agent/securite/passkeys?nom=" + name, credentialJSON(c));
      }).then(function (j) {
        window.location.assign(j.redirect);
      }).catch(function (e) {
        reg.disabled = false;
        showError(e);
        reg.focus(); // disabling it moved the focus away
      });
    });
  }
})();
