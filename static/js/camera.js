/*
 * Take the photo with the device camera (getUserMedia) and hand it to the form's file input, so the
 * pre-check and the upload work exactly as with a chosen file. Without a camera API (or when the
 * person refuses access) the plain file input remains: the fallback.
 */
(function () {
  "use strict";
  document.querySelectorAll("[data-camera-for]").forEach(function (box) {
    var input = document.getElementById(box.getAttribute("data-camera-for"));
    if (!input || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.DataTransfer) return;
    box.hidden = false;
    var start = box.querySelector(".camera-start");
    var shoot = box.querySelector(".camera-shoot");
    var video = box.querySelector("video");
    var problem = box.querySelector(".camera-error");
    var done = box.querySelector(".camera-done");
    var stream = null;

    function stop() {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.hidden = true;
      shoot.hidden = true;
    }

    start.addEventListener("click", function () {
      problem.hidden = true;
      done.hidden = true;
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 960 } }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.hidden = false;
          shoot.hidden = false;
          shoot.disabled = true;
          return video.play();
        })
        .catch(function () { stop(); problem.hidden = false; });
    });

    // The shutter works only once the camera delivers pictures (no empty file from a dark start).
    function ready() { return stream && video.readyState >= 2 && video.videoWidth > 0; }
    video.addEventListener("loadeddata", function () { shoot.disabled = !ready(); });

    shoot.addEventListener("click", function () {
      if (!ready()) return;
      // A 3:4 portrait cut from the middle of the frame, as the photo rules ask.
      var w = video.videoWidth, h = video.videoHeight;
      var cw = Math.min(w, Math.round(h * 3 / 4)), ch = Math.round(cw * 4 / 3);
      var canvas = document.createElement("canvas");
      canvas.width = cw;
      canvas.height = ch;
      canvas.getContext("2d").drawImage(video, (w - cw) / 2, (h - ch) / 2, cw, ch, 0, 0, cw, ch);
      canvas.toBlob(function (blob) {
        if (!blob || blob.size < 1000) { problem.hidden = false; return; }  // no picture: say so, keep the input
        var files = new DataTransfer();
        files.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
        input.files = files.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        stop();
        done.hidden = false;
      }, "image/jpeg", 0.92);
    });
  });
})();
