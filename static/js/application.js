/*
 * While the photo check runs, ask the API every two seconds how the application stands and show the
 * new state as soon as it changes (no reload by hand). Stops after ten minutes.
 */
(function () {
  "use strict";
  var box = document.getElementById("application");
  if (!box || box.getAttribute("data-status") !== "photo_checking") return;
  var endpoint = box.getAttribute("data-endpoint");
  var started = Date.now();
  function poll() {
    if (Date.now() - started > 600000) return;
    fetch(endpoint, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.status !== "photo_checking") { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1500);
})();
