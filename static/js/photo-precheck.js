/*
 * Photo pre-check in the browser: warns before upload about the obvious problems of
 * photo-rules.md (too dark, background not white, light clothes, no face or several faces) so fewer bad photos
 * are sent. It only warns; the server's checker decides. No dependencies, no network.
 *
 * Markup: <input type="file" data-precheck="too_dark,background_not_white,no_face"
 *          data-precheck-output="ID"> and <div id="ID" data-msg-too_dark="..." ...></div>.
 */
(function () {
  "use strict";

  var SIZE = 160; // pixels are judged on a copy this wide: fast on any phone

  // Luminance and border statistics of RGBA pixels (an ImageData's data array).
  function analyse(pixels, width, height) {
    var sum = 0, count = 0, borderL = 0, borderC = 0, borderN = 0, borderL2 = 0, clothes = 0, clothesN = 0;
    // The clothes: the foot of the frame either side of the collar (a white shirt between the lapels is fine).
    var clothesTop = Math.round(height * 0.92);
    var top = Math.max(1, Math.round(height * 0.06)), side = Math.max(1, Math.round(width * 0.08));
    var x0 = Math.round(width * 0.25), x1 = Math.round(width * 0.75);
    var y0 = Math.round(height * 0.2), y1 = Math.round(height * 0.8);
    for (var y = 0; y < height; y++) {
      for (var x = 0; x < width; x++) {
        var i = (y * width + x) * 4, r = pixels[i], g = pixels[i + 1], b = pixels[i + 2];
        var l = 0.299 * r + 0.587 * g + 0.114 * b;
        if (x >= x0 && x < x1 && y >= y0 && y < y1) { sum += l; count++; }
        var fromMiddle = Math.abs(x + 0.5 - width / 2) / width;
        if (y >= clothesTop && fromMiddle >= 0.15 && fromMiddle < 0.3) { clothes += l; clothesN++; }
        if (y < top || (y < height * 0.5 && (x < side || x >= width - side))) {
          borderL += l; borderL2 += l * l; borderN++;
          borderC += Math.max(r, g, b) - Math.min(r, g, b);
        }
      }
    }
    var bl = borderL / borderN;
    return {
      centreLuminance: sum / count,
      borderLuminance: bl,
      borderChroma: borderC / borderN,
      borderSpread: Math.sqrt(Math.max(borderL2 / borderN - bl * bl, 0)),
      clothesLuminance: clothesN ? clothes / clothesN : 0
    };
  }

  function problems(metrics, checks) {
    var found = [];
    if (checks.indexOf("too_dark") >= 0 && metrics.centreLuminance < 70) found.push("too_dark");
    if (checks.indexOf("background_not_white") >= 0 &&
        (metrics.borderLuminance < 200 || metrics.borderChroma > 25 || metrics.borderSpread > 30)) {
      found.push("background_not_white");
    }
    if (checks.indexOf("light_clothing") >= 0 && metrics.clothesLuminance > 170) found.push("light_clothing");
    return found;
  }

  function detectFaces(bitmap) {
    // The Shape Detection API exists only in some browsers: without it, say nothing about faces.
    if (!("FaceDetector" in window)) return Promise.resolve(null);
    try {
      return new window.FaceDetector({ fastMode: true, maxDetectedFaces: 3 })
        .detect(bitmap).then(function (faces) { return faces.length; }, function () { return null; });
    } catch (e) {
      return Promise.resolve(null);
    }
  }

  function show(output, codes) {
    output.textContent = "";
    output.hidden = codes.length === 0;
    codes.forEach(function (code) {
      var p = document.createElement("p");
      p.className = "precheck-warning";
      p.dataset.code = code;
      p.textContent = output.getAttribute("data-msg-" + code) || code;
      output.appendChild(p);
    });
  }

  function check(input) {
    var output = document.getElementById(input.getAttribute("data-precheck-output"));
    var checks = (input.getAttribute("data-precheck") || "").split(",");
    var file = input.files && input.files[0];
    if (!output || !file) return;
    output.setAttribute("data-state", "checking");
    var url = URL.createObjectURL(file);
    var img = new Image();
    img.onload = function () {
      var height = Math.max(1, Math.round(SIZE * img.naturalHeight / img.naturalWidth));
      var canvas = document.createElement("canvas");
      canvas.width = SIZE;
      canvas.height = height;
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(img, 0, 0, SIZE, height);
      var codes = problems(analyse(ctx.getImageData(0, 0, SIZE, height).data, SIZE, height), checks);
      var faceCheck = checks.indexOf("no_face") >= 0 ? detectFaces(img) : Promise.resolve(null);
      faceCheck.then(function (faces) {
        if (faces === 0) codes.push("no_face");
        if (faces !== null && faces > 1) codes.push("multiple_faces");
        URL.revokeObjectURL(url);
        show(output, codes);
        output.setAttribute("data-state", "done");
      });
    };
    img.onerror = function () {
      URL.revokeObjectURL(url);
      show(output, ["unreadable"]);
      output.setAttribute("data-state", "done");
    };
    img.src = url;
  }

  window.photoPrecheck = { analyse: analyse, problems: problems };
  document.querySelectorAll("input[type=file][data-precheck]").forEach(function (input) {
    input.addEventListener("change", function () { check(input); });
  });
})();
