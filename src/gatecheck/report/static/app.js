(function(){
  "use strict";
  document.documentElement.classList.add("js");
  function $all(sel, root){
    return Array.prototype.slice.call((root || document).querySelectorAll(sel));
  }
  var bar = document.getElementById("filters");
  if (bar) {
    var table = document.getElementById(bar.getAttribute("data-table"));
    var count = document.getElementById("filter-count");
    var apply = function(){
      var q = (bar.querySelector("[name=q]").value || "").toLowerCase();
      var picks = {};
      $all("select", bar).forEach(function(s){ picks[s.name] = s.value; });
      var shown = 0, rows = $all("tbody tr:not(.ev-row)", table);
      rows.forEach(function(row){
        var ok = !q || row.textContent.toLowerCase().indexOf(q) >= 0;
        Object.keys(picks).forEach(function(k){
          if (picks[k] && row.getAttribute("data-" + k) !== picks[k]) { ok = false; }
        });
        row.classList.toggle("hidden", !ok);
        var ev = document.getElementById(row.id + "-ev");
        if (ev) { ev.classList.toggle("hidden", !ok); }
        if (ok) { shown++; }
      });
      if (count) { count.textContent = shown + " of " + rows.length + " shown"; }
    };
    bar.addEventListener("input", apply);
    bar.addEventListener("change", apply);
    apply();
  }
  function setOpen(btn, open){
    var ev = document.getElementById(btn.getAttribute("aria-controls"));
    if (!ev) { return; }
    ev.classList.toggle("open", open);
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  }
  $all("button.toggle").forEach(function(btn){
    btn.addEventListener("click", function(){
      setOpen(btn, btn.getAttribute("aria-expanded") !== "true");
    });
  });
  function openTarget(){
    var id = decodeURIComponent((location.hash || "").slice(1));
    var el = id && document.getElementById(id);
    if (!el) { return; }
    el.classList.remove("hidden");
    var btn = el.querySelector("button.toggle");
    if (btn) { setOpen(btn, true); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  window.addEventListener("beforeprint", function(){
    $all("details").forEach(function(d){ d.open = true; });
    $all("button.toggle").forEach(function(b){ setOpen(b, true); });
  });
  $all("button.copy").forEach(function(btn){
    btn.addEventListener("click", function(){
      var pre = btn.parentNode.querySelector("pre");
      if (!pre) { return; }
      var done = function(){ btn.textContent = "copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(pre.textContent).then(done, function(){});
      } else {
        var range = document.createRange(); range.selectNodeContents(pre);
        var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
      }
    });
  });
})();
