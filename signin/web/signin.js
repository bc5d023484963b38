// qrpin sign-in page: badge (scanner input or camera), PIN, new PIN.
//
// The page runs on shared devices: it keeps nothing in web storage or
// cookies, and nothing of a worker outlives their sign-in. The only state
// is the transaction handle below (a closure variable, never in the DOM);
// the tokens of a sign-in are not kept at all (the page only says "signed
// in"). restart() wipes everything: on "Start again" and "Sign in someone
// else", after data-idle-timeout milliseconds without input, when the page
// is left or reloaded (pagehide) and when the back/forward cache brings it
// back (pageshow), so that no later person finds a signed-in page.
//
// In an authorization request's context (data-auth-request: the OpenID
// provider sent the browser here for an application), the badge step names
// the request, and the last step answers where to go next instead of
// tokens: the page wipes itself and replaces itself with that URL
// (location.replace, so that Back does not come back to the PIN).
(function () {
  "use strict";
  var base = document.body.getAttribute("data-base");
  if (base === null) { return; } // the page only says why it cannot sign in
  var authRequest = document.body.getAttribute("data-auth-request") || "";
  var idleMs = parseInt(document.body.getAttribute("data-idle-timeout"), 10);
  if (!(idleMs > 0)) { idleMs = 60000; }
  // gen counts restarts: an answer to a request sent before the last
  // restart is dropped, so it cannot bring back a wiped sign-in.
  var tx = "", stream = null, scanning = false, busy = false, gen = 0, idleTimer = 0;
  var $ = function (id) { return document.getElementById(id); };

  function say(text, kind) {
    var m = $("message");
    m.textContent = text || "";
    m.className = "message" + (kind ? " " + kind : "");
  }

  function show(id) {
    ["scan", "pin", "newpin", "done"].forEach(function (s) { $(s).hidden = s !== id; });
    var focus = { scan: "scan-input", pin: "pin-input", newpin: "newpin-input" }[id];
    if (focus) { $(focus).value = ""; $(focus).focus(); }
    if (id === "newpin") { $("newpin-confirm").value = ""; }
  }

  function post(path, body) {
    return fetch(base + "/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; },
        function () { return { status: r.status, body: {} }; });
    });
  }

  function step(r) {
    var b = r.body;
    if (b.error) {
      var code = b.error.code, msg = b.error.message;
      if (code === "invalidPin" && b.transaction && !$("pin").hidden) {
        tx = b.transaction; $("pin-input").value = ""; $("pin-input").focus(); say(msg, "error"); return;
      }
      if (!$("newpin").hidden && (code === "pinTooShort" || code === "invalidPin")) {
        if (b.transaction) { tx = b.transaction; }
        $("newpin-input").value = ""; $("newpin-confirm").value = ""; $("newpin-input").focus(); say(msg, "error"); return;
      }
      restart();
      say(msg, "error");
      return;
    }
    tx = b.transaction || "";
    if (b.next === "pin") { stopCamera(); show("pin"); say("Badge accepted. Enter your PIN.", "ok"); }
    else if (b.next === "newPin") { $("newpin-length").textContent = b.pinLength || 8; show("newpin"); say("Choose a new PIN.", "ok"); }
    else if (b.next === "redirect") { leave(b.location); }
    else if (b.next === "done") { // the tokens in b are not kept: nothing here uses them
      $("done-text").textContent = "Welcome. You can now use this device.";
      show("done"); say("Signed in.", "ok");
    }
  }

  function send(path, body) {
    if (busy) { return; }
    busy = true;
    var g = gen;
    post(path, body).then(function (r) { if (g === gen) { step(r); awake(); } },
      function () { if (g === gen) { say("The server cannot be reached. Try again.", "error"); } })
      .then(function () { if (g === gen) { busy = false; } });
  }

  function submitQR(text) {
    var body = { qrCode: text };
    if (authRequest) { body.authRequest = authRequest; }
    send("qr", body);
  }

  // leave wipes the page and goes on to where the sign-in continues (the
  // provider's callback, which sends the browser back to the application),
  // replacing this page in the history. Only an http(s) URL is followed.
  function leave(loc) {
    restart();
    var u = null;
    if (typeof loc === "string" && loc !== "") {
      try { u = new URL(loc, location.href); } catch (e) { u = null; }
    }
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:")) {
      say("Something went wrong. Please try again.", "error");
      return;
    }
    ["scan", "pin", "newpin", "done"].forEach(function (s) { $(s).hidden = true; });
    say("Signed in. Returning to the application.", "ok");
    location.replace(u.href);
  }

  // restart wipes what the page holds and shows the scan screen.
  function restart() {
    gen++; tx = ""; busy = false; stopCamera();
    Array.prototype.forEach.call(document.querySelectorAll("input"), function (i) { i.value = ""; });
    $("done-text").textContent = "";
    show("scan"); say("");
  }

  // awake restarts the idle timer: after idleMs without input, restart.
  function awake() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(restart, idleMs);
  }
  ["keydown", "pointerdown", "input"].forEach(function (t) { document.addEventListener(t, awake, true); });
  window.addEventListener("pagehide", restart);
  window.addEventListener("pageshow", function (e) { if (e.persisted) { restart(); awake(); } });

  $("scan-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var v = $("scan-input").value;
    $("scan-input").value = "";
    if (v.trim() !== "") { submitQR(v); }
  });
  $("pin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    send("pin", { transaction: tx, pin: $("pin-input").value });
    $("pin-input").value = "";
  });
  $("newpin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var a = $("newpin-input").value, b = $("newpin-confirm").value;
    $("newpin-input").value = ""; $("newpin-confirm").value = "";
    if (a !== b) { say("The two PINs differ. Type the new PIN twice.", "error"); $("newpin-input").focus(); return; }
    send("newpin", { transaction: tx, newPin: a });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".restart"), function (b) { b.addEventListener("click", restart); });

  // PIN pads: digits go into the focused PIN field of the section.
  Array.prototype.forEach.call(document.querySelectorAll(".pad"), function (pad) {
    var keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"];
    var names = { clear: "Clear", back: "Delete last digit" };
    var labels = { clear: "C", back: "\u232b" };
    var last = $(pad.getAttribute("data-target"));
    pad.parentNode.querySelectorAll("input").forEach(function (i) { i.addEventListener("focus", function () { last = i; }); });
    keys.forEach(function (k) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = labels[k] || k;
      b.setAttribute("aria-label", names[k] || "Digit " + k);
      b.addEventListener("click", function () {
        if (k === "clear") { last.value = ""; }
        else if (k === "back") { last.value = last.value.slice(0, -1); }
        else if (last.value.length < 20) { last.value += k; }
      });
      pad.appendChild(b);
    });
  });

  // Camera: the browser's BarcodeDetector when there is one, else frames
  // decoded by the server.
  function stopCamera() {
    scanning = false;
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    $("camera").hidden = true;
  }

  function found(text) { if (scanning) { scanning = false; submitQR(text); } }

  function scanLoop(detector) {
    var video = $("video"), canvas = $("canvas");
    var pending = false;
    function tick() {
      if (!scanning) { return; }
      if (video.readyState >= 2 && !pending) {
        pending = true;
        if (detector) {
          detector.detect(video).then(function (codes) {
            pending = false;
            if (codes.length) { found(codes[0].rawValue); }
          }, function () { pending = false; });
        } else {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          canvas.getContext("2d").drawImage(video, 0, 0);
          canvas.toBlob(function (blob) {
            fetch(base + "/decode", { method: "POST", headers: { "Content-Type": "image/jpeg" }, body: blob })
              .then(function (r) { return r.json(); })
              .then(function (j) { pending = false; if (j.qrCode) { found(j.qrCode); } }, function () { pending = false; });
          }, "image/jpeg", 0.85);
        }
      }
      setTimeout(tick, detector ? 100 : 400);
    }
    tick();
  }

  $("camera-button").addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("This browser cannot use the camera here. Use a barcode scanner.", "error");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      var video = $("video");
      video.srcObject = s;
      video.play();
      $("camera").hidden = false;
      scanning = true;
      say("Show your badge's QR code to the camera.", "ok");
      var detector = null;
      if ("BarcodeDetector" in window) {
        try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
      }
      scanLoop(detector);
    }, function () { say("The camera could not be started. Allow the camera, or use a barcode scanner.", "error"); });
  });
  $("camera-stop").addEventListener("click", function () { stopCamera(); $("scan-input").focus(); });

  restart();
  awake();
})();
