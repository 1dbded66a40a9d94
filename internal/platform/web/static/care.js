// CaRE: what every page does with script (the pages work without it).
// 1. After a refused form: the address bar shows the page the form was on, not
//    the post's address, and each reason of the summary is also shown beside
//    its field (when the page did not already put it there).
// 2. Destructive actions ask for confirmation before the form leaves.
// 3. Wide tables that scroll take the keyboard's focus; the navigation's menus
//    close on a click elsewhere or Escape.
(function () {
  "use strict";

  function sameAction(form, action) {
    var a = form.getAttribute("action");
    if (a === null) { return false; }
    var u = new URL(a, location.href);
    return u.pathname + u.search === action || u.pathname === action.split("?")[0];
  }

  function fieldOf(scope, name) {
    var found = scope.querySelectorAll("[name]");
    for (var i = 0; i < found.length; i++) {
      if (found[i].name === name && found[i].type !== "hidden") { return found[i]; }
    }
    return null;
  }

  function describe(field, id) {
    field.setAttribute("aria-invalid", "true");
    var ids = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (ids.indexOf(id) < 0) { ids.push(id); }
    field.setAttribute("aria-describedby", ids.join(" "));
  }

  function refused() {
    var body = document.body;
    var page = body.getAttribute("data-page");
    if (page && window.history && history.replaceState) {
      history.replaceState(null, "", page);
    }
    var action = body.getAttribute("data-refused");
    if (!action) { return; }
    var form = null;
    var forms = document.querySelectorAll("main form");
    for (var i = 0; i < forms.length; i++) {
      if (sameAction(forms[i], action)) { form = forms[i]; break; }
    }
    var scope = form || document.querySelector("main");
    var faults = document.querySelectorAll("#error-summary li[data-field]");
    for (var j = 0; j < faults.length; j++) {
      var name = faults[j].getAttribute("data-field");
      var id = "err-" + name;
      var shown = document.getElementById(id);
      var field = fieldOf(scope, name);
      if (shown) {
        if (field) { describe(field, id); }
        continue;
      }
      var p = document.createElement("p");
      p.className = "field-error";
      p.id = id;
      p.textContent = faults[j].textContent;
      if (field) {
        var after = field.closest("label") || field;
        after.insertAdjacentElement("afterend", p);
        describe(field, id);
      } else if (form) {
        // A reason about the whole form (no field of that name): at its top.
        form.insertAdjacentElement("afterbegin", p);
      }
    }
    var first = form && form.querySelector(".field-error");
    if (first) {
      var summary = document.getElementById("error-summary");
      if (summary) { summary.focus(); }
    }
  }

  // Destructive actions: a form holding input[name=confirmer] asks its
  // question; when the person agrees it goes with confirme=1, else it stays.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var ask = form.querySelector("input[name=confirmer]");
    if (!ask || form.querySelector("input[name=confirme]")) { return; }
    if (!window.confirm(ask.getAttribute("data-question"))) {
      e.preventDefault();
      return;
    }
    var yes = document.createElement("input");
    yes.type = "hidden";
    yes.name = "confirme";
    yes.value = "1";
    form.appendChild(yes);
  }, true);

  // A table wider than the screen scrolls inside itself (care.css): it takes
  // the keyboard's focus so that it can be scrolled without a mouse.
  function scrollers() {
    var tables = document.querySelectorAll("main table");
    for (var i = 0; i < tables.length; i++) {
      var t = tables[i];
      if (t.scrollWidth > t.clientWidth + 1) {
        if (!t.hasAttribute("tabindex")) { t.setAttribute("tabindex", "0"); t.setAttribute("data-scroller", ""); }
      } else if (t.hasAttribute("data-scroller")) {
        t.removeAttribute("tabindex");
        t.removeAttribute("data-scroller");
      }
    }
  }

  // The navigation's menus (details) close on a click elsewhere or on Escape.
  function closeMenus(except) {
    var open = document.querySelectorAll(".mainnav details[open]");
    for (var i = 0; i < open.length; i++) {
      if (open[i] !== except && !open[i].contains(except)) { open[i].removeAttribute("open"); }
    }
  }
  document.addEventListener("click", function (e) { closeMenus(e.target); });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") { return; }
    var menu = document.activeElement && document.activeElement.closest(".mainnav details[open]");
    closeMenus(null);
    if (menu) { menu.querySelector("summary").focus(); }
  });

  function ready() {
    refused();
    scrollers();
  }
  window.addEventListener("resize", scrollers);
  document.addEventListener("htmx:afterSettle", scrollers);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
