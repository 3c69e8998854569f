/* Tutela: live countdowns of the breach clocks (the server renders the same text; this only keeps it
   current while the page stays open). No inline script: the CSP allows scripts from 'self' only. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var seconds = Math.round((due - now) / 1000);
      var abs = Math.abs(seconds);
      var span = Math.floor(abs / 3600) + " h " + pad(Math.floor((abs % 3600) / 60)) + " min";
      var template = el.getAttribute(seconds >= 0 ? "data-left" : "data-late");
      if (template) { el.textContent = template.replace("%(span)s", span); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector(".clock[data-due]")) { tick(); window.setInterval(tick, 30000); }
  });
})();
