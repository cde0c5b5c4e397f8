/*
 * The verifier page (/v/o): reads a signed e-licence QR (`EL1:` + base45(zlib(COSE_Sign1)), see
 * docs/offline.md) from the link's fragment, the camera or a picture, and checks it.
 * Online: the portal checks it (and logs it). Offline: this page checks the ES256 signature with
 * WebCrypto against the key set downloaded earlier (/.well-known/jwks.json) and the expiry against
 * this device's clock; the check is queued on the device and uploaded when the network returns.
 * A service worker (/v/sw.js) keeps the page, its scripts and the key set for offline use.
 */
(function () {
  "use strict";
  var root = document.getElementById("verifier");
  if (!root) return;
  var t = function (key) { return root.getAttribute("data-t-" + key) || key; };
  var QUEUE = "elicence-offline-checks";
  var KEYS = "elicence-qr-keys";
  var SKEW = 5;
  var PREFIX = "EL1:";
  var verdict = document.getElementById("verdict");
  var holder = document.getElementById("holder");

  // --- base45 (RFC 9285) ----------------------------------------------------------------------
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  function base45Decode(text) {
    var out = [];
    for (var i = 0; i < text.length; i += 3) {
      var chunk = text.substr(i, 3);
      var value = 0;
      for (var j = chunk.length - 1; j >= 0; j--) {
        var digit = B45.indexOf(chunk[j]);
        if (digit < 0) throw new Error("base45");
        value = value * 45 + digit;
      }
      if (chunk.length === 3) {
        if (value > 0xffff) throw new Error("base45");
        out.push(value >> 8, value & 0xff);
      } else if (chunk.length === 2) {
        if (value > 0xff) throw new Error("base45");
        out.push(value);
      } else {
        throw new Error("base45");
      }
    }
    return new Uint8Array(out);
  }

  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buffer) {
      if (buffer.byteLength > 4096) throw new Error("too large");
      return new Uint8Array(buffer);
    });
  }

  // --- CBOR (RFC 8949): what a COSE_Sign1 and its claims use ----------------------------------------
  function Tag(tag, value) { this.tag = tag; this.value = value; }
  function cborDecode(bytes) {
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    var pos = 0;
    function length(info) {
      if (info < 24) return info;
      if (info === 24) { pos += 1; return view.getUint8(pos - 1); }
      if (info === 25) { pos += 2; return view.getUint16(pos - 2); }
      if (info === 26) { pos += 4; return view.getUint32(pos - 4); }
      if (info === 27) { pos += 8; return view.getUint32(pos - 8) * 4294967296 + view.getUint32(pos - 4); }
      throw new Error("cbor length");
    }
    function item() {
      var first = view.getUint8(pos++);
      var major = first >> 5, info = first & 31;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22 || info === 23) return null;
        if (info === 25) { pos += 2; return view.getUint16(pos - 2); }  // half floats are not used here
        if (info === 26) { pos += 4; return view.getFloat32(pos - 4); }
        if (info === 27) { pos += 8; return view.getFloat64(pos - 8); }
        throw new Error("cbor simple");
      }
      var n = length(info);
      if (major === 0) return n;
      if (major === 1) return -1 - n;
      if (major === 2) { pos += n; return bytes.slice(pos - n, pos); }
      if (major === 3) { pos += n; return new TextDecoder().decode(bytes.slice(pos - n, pos)); }
      if (major === 4) { var list = []; for (var i = 0; i < n; i++) list.push(item()); return list; }
      if (major === 5) { var map = new Map(); for (var k = 0; k < n; k++) { var key = item(); map.set(key, item()); } return map; }
      if (major === 6) return new Tag(n, item());
      throw new Error("cbor major");
    }
    var value = item();
    if (pos !== bytes.length) throw new Error("cbor trailing");
    return value;
  }
  function cborHead(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65536) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  }
  function sigStructure(protectedBytes, payload) {
    // ["Signature1", protected, external_aad = h'', payload] (RFC 9052, 4.4)
    var context = new TextEncoder().encode("Signature1");
    var parts = [[0x84], cborHead(3, context.length), context, cborHead(2, protectedBytes.length), protectedBytes,
      cborHead(2, 0), cborHead(2, payload.length), payload];
    var size = parts.reduce(function (sum, part) { return sum + part.length; }, 0);
    var out = new Uint8Array(size), at = 0;
    parts.forEach(function (part) { out.set(part, at); at += part.length; });
    return out;
  }
  function b64url(bytes) {
    var text = "";
    bytes.forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // --- the key set ---------------------------------------------------------------------------------
  function storedKeys() {
    try { return JSON.parse(localStorage.getItem(KEYS) || "null"); } catch (e) { return null; }
  }
  function refreshKeys() {
    return fetch(root.getAttribute("data-jwks"), { credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error("keys"); return r.json(); })
      .then(function (set) { localStorage.setItem(KEYS, JSON.stringify(set)); return set; })
      .catch(function () { return storedKeys(); });
  }

  // --- the offline check ---------------------------------------------------------------------------
  function Refused(reason) { this.reason = reason; }
  function checkOffline(token) {
    var keySet = storedKeys();
    if (!keySet) return Promise.reject(new Refused("nokeys"));
    var cose, protectedMap, claims;
    return Promise.resolve().then(function () {
      if (token.indexOf(PREFIX) !== 0) throw new Refused("bad_token");
      return inflate(base45Decode(token.slice(PREFIX.length)));
    }).catch(function (e) {
      throw e instanceof Refused ? e : new Refused("bad_token");
    }).then(function (data) {
      try {
        var tagged = cborDecode(data);
        cose = tagged instanceof Tag ? tagged.value : tagged;
        protectedMap = cborDecode(cose[0]);
      } catch (e) { throw new Refused("bad_token"); }
      if (protectedMap.get(1) !== -7) throw new Refused("bad_token");  // ES256 only
      var kid = b64url(protectedMap.get(4) || new Uint8Array());
      var jwk = (keySet.keys || []).filter(function (k) { return k.kid === kid; })[0];
      if (!jwk) throw new Refused("bad_token");
      return crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
        { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    }).then(function (key) {
      return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, cose[3], sigStructure(cose[0], cose[2]));
    }).then(function (genuine) {
      if (!genuine) throw new Refused("bad_token");
      try { claims = cborDecode(cose[2]); } catch (e) { throw new Refused("bad_token"); }
      var facts = claims.get(-70001);
      if (!(facts instanceof Map)) throw new Refused("bad_token");
      var now = Date.now() / 1000;
      var expired = now > claims.get(4) + SKEW;
      var valid = !expired && facts.get("state") === "valid";
      return { valid: valid, reason: valid ? null : (expired ? "expired" : "licence_changed"), facts: facts, genuine: true };
    });
  }

  // --- showing the answer --------------------------------------------------------------------------
  function row(label, value) {
    var dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = label; dd.textContent = value;
    holder.appendChild(dt); holder.appendChild(dd);
  }
  function show(result, how) {
    verdict.hidden = false;
    verdict.className = "verdict " + (result.valid ? "ok" : "bad");
    verdict.setAttribute("data-valid", result.valid ? "1" : "0");
    verdict.setAttribute("data-reason", result.reason || "");
    verdict.setAttribute("data-how", how);
    document.getElementById("verdict-title").textContent = (result.valid ? "✓ " : "✗ ") + t(result.valid ? "valid" : "invalid");
    var known = { expired: t("expired"), bad_token: t("forged"), not_found: t("forged"), nokeys: t("nokeys") };
    var why = result.valid ? t(how) : (known[result.reason] || result.reason_text || t("changed"));
    document.getElementById("verdict-why").textContent = why;
    holder.textContent = "";
    holder.hidden = true;
    var facts = result.facts;
    if (facts && result.valid) {
      row(t("name"), facts.get("name"));
      row(t("number"), facts.get("number"));
      row(t("classes"), (facts.get("classes") || []).join(" "));
      row(t("validity"), facts.get("valid_from") + " – " + (facts.get("valid_until") || t("longterm")));
      row(t("status"), t("status-" + facts.get("status")));
      row(t("points"), facts.get("points"));
      if (facts.get("paper_required")) row("⚠", t("paper"));
      holder.hidden = false;
    } else if (result.rows && result.valid) {  // the portal's answer, labelled by the portal
      result.rows.forEach(function (pair) { row(pair[0], pair[1]); });
      if (result.paper_required) row("⚠", t("paper"));
      holder.hidden = !holder.childElementCount;
    }
  }

  function csrf() {  // the cookie's current value: the page may be an old copy kept for offline use
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : root.getAttribute("data-csrf");
  }

  // --- the queue of offline checks ------------------------------------------------------------------
  function queue() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function saveQueue(items) {
    localStorage.setItem(QUEUE, JSON.stringify(items));
    var state = document.getElementById("queue-state");
    state.setAttribute("data-count", String(items.length));
    state.textContent = items.length ? t("waiting") + " " + items.length : "";
  }
  function upload() {
    var items = queue();
    if (!items.length || !navigator.onLine) return Promise.resolve();
    return items.reduce(function (chain, item) {
      return chain.then(function () {
        return fetch(root.getAttribute("data-upload"), {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify(item)
        }).then(function (answer) {
          // Recorded (201), recorded before (200), or refused for good (400, 404): it leaves the queue.
          // Anything else (403 of a stale log-in, 429, 5xx) is tried again later.
          if ([200, 201, 400, 404].indexOf(answer.status) >= 0) {
            saveQueue(queue().filter(function (q) { return q.id !== item.id; }));
          }
        }).catch(function () { /* still offline: try again later */ });
      });
    }, Promise.resolve());
  }

  // --- a code to check --------------------------------------------------------------------------
  function tokenFrom(text) {
    var at = text.indexOf("#");
    if (at >= 0) text = decodeURIComponent(text.slice(at + 1));
    return text.trim();
  }
  function offline(token) {
    return checkOffline(token).then(function (result) {
      var items = queue();
      items.push({ id: crypto.randomUUID(), token: token, checked_at: new Date().toISOString() });
      saveQueue(items);
      show(result, "offline");
    }, function (refusal) {
      show({ valid: false, reason: refusal instanceof Refused ? refusal.reason : "bad_token" }, "offline");
    });
  }
  function check(token) {
    if (!navigator.onLine) return offline(token);
    return fetch(location.pathname, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ token: token })
    }).then(function (answer) {
      if (!answer.ok && answer.status !== 400) throw new Error("status " + answer.status);
      return answer.json().then(function (body) {
        return answer.ok ? body : { valid: false, reason: body.code };
      });
    }).then(function (result) { show(result, "online"); }, function () { return offline(token); });
  }

  // --- camera and pictures --------------------------------------------------------------------------
  function decodeImage(source, width, height) {
    var canvas = document.createElement("canvas");
    canvas.width = width; canvas.height = height;
    var context = canvas.getContext("2d");
    context.drawImage(source, 0, 0, width, height);
    var found = jsQR(context.getImageData(0, 0, width, height).data, width, height);
    return found ? found.data : null;
  }
  document.getElementById("scan-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) return;
    var image = new Image();
    image.onload = function () {
      var text = decodeImage(image, image.naturalWidth, image.naturalHeight);
      URL.revokeObjectURL(image.src);
      if (text) {
        check(tokenFrom(text));
      } else {
        show({ valid: false, reason: "noqr" }, "offline");
        document.getElementById("verdict-why").textContent = t("noqr");
      }
    };
    image.src = URL.createObjectURL(file);
  });
  document.getElementById("scan-start").addEventListener("click", function () {
    var video = document.getElementById("scan-video");
    var problem = document.getElementById("scan-problem");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { problem.textContent = t("camera"); problem.hidden = false; return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream; video.hidden = false; video.play();
      (function frame() {
        if (video.readyState >= 2 && video.videoWidth) {
          var text = decodeImage(video, video.videoWidth, video.videoHeight);
          if (text) {
            stream.getTracks().forEach(function (track) { track.stop(); });
            video.hidden = true;
            check(tokenFrom(text));
            return;
          }
        }
        requestAnimationFrame(frame);
      })();
    }).catch(function () { problem.textContent = t("camera"); problem.hidden = false; });
  });

  // --- start ----------------------------------------------------------------------------------------
  function networkState() {
    document.getElementById("network-state").textContent = navigator.onLine ? "" : t("no-network");
    if (navigator.onLine) { refreshKeys(); upload(); }
  }
  window.addEventListener("online", networkState);
  window.addEventListener("offline", networkState);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.getAttribute("data-sw"), { scope: root.getAttribute("data-scope") }).catch(function () {});
  }
  saveQueue(queue());
  var ready = navigator.onLine ? refreshKeys() : Promise.resolve(storedKeys());
  ready.then(function () {
    networkState();
    if (location.hash.length > 1) check(tokenFrom(location.href));
  });
  window.elicenceVerifier = { check: check, queue: queue, upload: upload };
})();
