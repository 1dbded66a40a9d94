// Passkeys (WebAuthn): registration from the profile, login from the login page.
// The server's options and answers travel as JSON with binary fields in
// base64url (W3C WebAuthn Level 3 §5.1.8 toJSON / parse*OptionsFromJSON).
(function () {
  "use strict";
  function bytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
  }
  function text(buf) {
    var s = "", b = new Uint8Array(buf);
    for (var i = 0; i < b.length; i++) { s += String.fromCharCode(b[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) { throw new Error(j.detail || r.statusText); }
          return j;
        });
      });
  }
  function say(el, msg) { if (el) { el.textContent = msg; el.hidden = false; } }
  function failed(status, el) {
    return function (err) {
      // A cancelled or timed-out prompt is the browser's NotAllowedError.
      say(status, err && err.name === "NotAllowedError" ? el.getAttribute("data-cancelled") : err.message);
    };
  }

  var register = document.getElementById("passkey-register");
  if (register) {
    register.addEventListener("submit", function (e) {
      e.preventDefault();
      var status = document.getElementById("passkey-status");
      var name = document.getElementById("passkey-name").value;
      // The profile registers another passkey; the raising page a first one,
      // which raises the session (its form names its own addresses).
      post(register.getAttribute("data-options") || "/profil/cles-d-acces/options").then(function (o) {
        var pk = o.publicKey;
        pk.challenge = bytes(pk.challenge);
        pk.user.id = bytes(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
        return navigator.credentials.create({ publicKey: pk });
      }).then(function (c) {
        return post(register.getAttribute("data-action") || "/profil/cles-d-acces", { name: name, credential: {
          id: c.id, rawId: text(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(),
          response: { attestationObject: text(c.response.attestationObject), clientDataJSON: text(c.response.clientDataJSON),
            transports: c.response.getTransports ? c.response.getTransports() : [] } } });
      }).then(function (r) { location.assign(r.redirect); }, failed(status, register));
    });
  }

  var login = document.getElementById("passkey-login");
  if (login) {
    login.hidden = !window.PublicKeyCredential;
    login.addEventListener("click", function () {
      var status = document.getElementById("passkey-login-status");
      post("/connexion/cle-d-acces/options").then(function (o) {
        var pk = o.publicKey;
        pk.challenge = bytes(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
        return navigator.credentials.get({ publicKey: pk });
      }).then(function (a) {
        return post("/connexion/cle-d-acces?retour=" + encodeURIComponent(login.getAttribute("data-retour") || "/"), {
          id: a.id, rawId: text(a.rawId), type: a.type, clientExtensionResults: a.getClientExtensionResults(),
          response: { authenticatorData: text(a.response.authenticatorData), clientDataJSON: text(a.response.clientDataJSON),
            signature: text(a.response.signature), userHandle: a.response.userHandle ? text(a.response.userHandle) : null } });
      }).then(function (r) { location.assign(r.redirect); }, failed(status, login));
    });
  }
})();
