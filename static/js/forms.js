/*
 * Every page's forms. While a slow step runs (the face check, an upload), its button says so and
 * cannot be pressed twice (data-busy text, a spinner, aria-busy on the form). After a rate limit, the
 * wait counts down (data-countdown seconds) and the form's buttons come back when it is over.
 */
(function () {
  "use strict";
  document.querySelectorAll("button[data-busy]").forEach(function (button) {
    var form = button.form;
    if (!form) return;
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
      if (event.submitter && event.submitter !== button) return;
      form.setAttribute("aria-busy", "true");
      var spinner = document.createElement("span");
      spinner.className = "spinner";
      spinner.setAttribute("aria-hidden", "true");
      button.textContent = button.getAttribute("data-busy");
      button.prepend(spinner);
      button.setAttribute("aria-disabled", "true");
    });
  });

  document.querySelectorAll("[data-countdown]").forEach(function (box) {
    var left = parseInt(box.getAttribute("data-countdown"), 10) || 0;
    var output = box.querySelector(".countdown-time");
    var form = box.closest("form");
    var buttons = form ? form.querySelectorAll("button[type=submit]") : [];
    function show() {
      var m = Math.floor(left / 60), s = left % 60;
      if (output) output.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      buttons.forEach(function (b) { b.disabled = left > 0; });
      if (left <= 0) { box.hidden = true; return; }
      left -= 1;
      window.setTimeout(show, 1000);
    }
    show();
  });
})();
