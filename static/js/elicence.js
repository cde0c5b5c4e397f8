/*
 * The live e-licence (L3): the server's time ticking, a watermark with the holder's name and the
 * time, and a QR code renewed before its token expires. A screenshot shows a stale clock and an
 * expired code. No dependencies; the QR arrives as an SVG from the server.
 */
(function () {
  "use strict";
  var card = document.getElementById("elicence");
  if (!card) return;
  var clock = document.getElementById("server-time");
  var watermark = document.getElementById("watermark");
  var qr = document.getElementById("qr");
  var code = document.getElementById("short-code");
  var bar = document.getElementById("ttl-bar");
  var status = document.getElementById("qr-status");
  var holder = card.getAttribute("data-holder") || "";
  var offset = 0; // server time − this device's time, in ms
  var expiresAt = 0, issuedAt = 0, timer = null;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function beijing(ms) {
    // Shown in Beijing time whatever the phone's zone: UTC+8, no daylight saving.
    var d = new Date(ms + 8 * 3600 * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  function buildWatermark() {
    var cells = [];
    for (var i = 0; i < 24; i++) cells.push("<span></span>");
    watermark.innerHTML = cells.join("");
  }

  function tick() {
    var now = Date.now() + offset;
    var text = beijing(now);
    clock.textContent = text;
    var spans = watermark.children;
    for (var i = 0; i < spans.length; i++) spans[i].textContent = holder + " " + text;
    if (bar && expiresAt) {
      var left = Math.max(0, expiresAt - now), total = Math.max(1, expiresAt - issuedAt);
      bar.style.width = (100 * left / total).toFixed(1) + "%";
    }
  }

  // The QR is drawn here from the token's address (qrcode-generator, vendored): the portal then spends
  // no time drawing it (5 ms of pure Python per renewal for a version-16 code).
  var colours = JSON.parse(card.getAttribute("data-qr-colours") || "{}");
  var drawHere = typeof window.qrcode === "function";
  function drawQr(text, colour) {
    var code = window.qrcode(0, "M");
    code.addData(text, "Byte");
    code.make();
    var n = code.getModuleCount(), border = 4, size = n + 2 * border, path = [];  // the standard quiet zone
    for (var r = 0; r < n; r++) {
      for (var c = 0; c < n; c++) {
        if (code.isDark(r, c)) path.push("M" + (c + border) + " " + (r + border) + "h1v1h-1z");
      }
    }
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + size + " " + size +
      '" shape-rendering="crispEdges"><rect width="' + size + '" height="' + size + '" fill="#fff"/><path fill="' +
      colour + '" d="' + path.join("") + '"/></svg>';
    return "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
  }

  function refresh() {
    if (!qr) return;
    var endpoint = card.getAttribute("data-qr-endpoint") + (drawHere ? "?svg=0" : "");
    fetch(endpoint, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 409) { throw new Error("invalid"); }
        if (!response.ok) { throw new Error("offline"); }
        return response.json();
      })
      .then(function (data) {
        offset = Date.parse(data.server_time) - Date.now();
        issuedAt = Date.parse(data.server_time);
        expiresAt = Date.parse(data.expires_at);
        qr.src = drawHere ? drawQr(data.url, colours[data.colour] || "#000") : data.svg;
        qr.setAttribute("data-url", data.url);
        code.textContent = data.short_code.slice(0, 4) + "-" + data.short_code.slice(4);
        status.classList.remove("bad");
        clearTimeout(timer);
        // Renew 10 s before expiry, so the code on screen is always valid when scanned.
        timer = setTimeout(refresh, Math.max(5000, expiresAt - issuedAt - 10000));
      })
      .catch(function (err) {
        status.textContent = card.getAttribute(err.message === "invalid" ? "data-msg-invalid" : "data-msg-offline");
        status.classList.add("bad");
        qr.removeAttribute("src");
        if (err.message !== "invalid") { clearTimeout(timer); timer = setTimeout(refresh, 10000); }
      });
  }

  buildWatermark();
  tick();
  setInterval(tick, 1000);
  if (card.getAttribute("data-valid") === "1") refresh();
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
