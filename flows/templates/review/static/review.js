// Keyboard navigation for pressroom review. No library, no network: only this origin's pages.
(function () {
  "use strict";
  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function go(id) { var a = document.getElementById(id); if (a) { window.location.href = a.getAttribute("href"); } }
  function submit(id) { var f = document.getElementById(id); if (f) { if (f.requestSubmit) { f.requestSubmit(); } else { f.submit(); } } }
  var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tr.item"));
  var at = -1;
  function select(i) {
    if (!rows.length) { return; }
    at = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, k) { r.classList.toggle("selected", k === at); });
    rows[at].scrollIntoView({block: "nearest"});
  }
  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (rows.length) {
      if (event.key === "j") { select(at + 1); }
      else if (event.key === "k") { select(at - 1); }
      else if (event.key === "Enter" && at >= 0) { window.location.href = rows[at].getAttribute("data-href"); }
      return;
    }
    if (event.key === "j") { go("next"); }
    else if (event.key === "k") { go("previous"); }
    else if (event.key === "q") { window.location.href = "/"; }
    else if (event.key === "a") { submit("repair-form"); }
    else if (event.key === "p") { submit("publish-form"); }
    else if (event.key === "w") { var r = document.getElementById("waive-reason"); if (r) { event.preventDefault(); r.focus(); } }
    else if (event.key === "e") {
      var d = document.getElementById("edit"); if (d) { event.preventDefault(); d.open = true; document.getElementById("edit-body").focus(); }
    }
  });
})();
