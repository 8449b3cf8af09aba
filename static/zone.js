// The visitor's time zone: default to the browser's, remember it in the "tz" cookie.
(function () {
  "use strict";
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }
  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (o) { return o.value === value; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var zone = browserZone();
    var remembered = /(?:^|;\s*)tz=/.test(document.cookie);
    // Cohort page: nothing chosen yet, so show the page in the browser's zone once.
    var form = document.querySelector("form[data-zone-default]");
    if (form && zone && !remembered) {
      var select = form.querySelector("select");
      if (select && hasOption(select, zone) && select.value !== zone) {
        select.value = zone;
        form.submit();
        return;
      }
    }
    // Selector: choosing a zone shows it at once.
    var zoneForm = document.querySelector("form[data-zone-form]");
    if (zoneForm) {
      zoneForm.querySelector("select").addEventListener("change", function () { zoneForm.submit(); });
    }
    // Application form: propose the browser's zone unless one was remembered.
    var field = document.querySelector("select#time_zone");
    if (field && zone && !remembered && hasOption(field, zone) && !field.dataset.touched) {
      field.value = zone;
    }
  });
})();
