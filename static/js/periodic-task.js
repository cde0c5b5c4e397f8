/* The schedule form of the staff console: a crontab's meaning in words under the crontab field
   (django-celery-beat's own helper, as a file). */
(function () {
  "use strict";
  var data = document.getElementById("readable-crontabs");
  var select = document.getElementById("id_crontab");
  var help = document.querySelector(".field-crontab .help");
  var translation = document.querySelector(".field-crontab_translation");
  if (translation) translation.hidden = true;
  if (!data || !select || !help) return;
  var readable = JSON.parse(data.textContent);
  var original = help.textContent;
  select.addEventListener("change", function () {
    var words = readable[select.value];
    help.textContent = words ? original + " — " + words : original;
  });
})();
