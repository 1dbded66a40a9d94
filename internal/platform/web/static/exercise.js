// Live play: follows the exercise's event stream and adds what arrives to the page
// (stimuli received, main courante, marks); a change of state reloads the page.
// Text is set with textContent only: stimuli and log entries are never HTML.
// The exercise clock: exercise time as hh:mm and, when the kit gives a start
// hour, the simulated time of day ("9 h 30" in French, "09:30" in English), as
// the server writes them (exercise.HHMM, i18n.Lang.TimeOfDay); it advances while
// the exercise runs.
(function () {
  "use strict";
  var clock = document.getElementById("clock");
  if (!clock || clock.dataset.ticking !== "true") { return; }
  var elapsed = Number(clock.dataset.elapsed) || 0;
  var speed = Math.max(Number(clock.dataset.speed) || 1, 1);
  var start = Number(clock.dataset.start);
  var scale = Math.max(Number(clock.dataset.scale) || 1, 1);
  var began = Date.now();
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var seconds = elapsed + Math.floor((Date.now() - began) / 1000) * speed;
    var minutes = Math.floor(seconds / 60);
    var e = document.getElementById("elapsed");
    if (e) { e.textContent = two(Math.floor(minutes / 60)) + ":" + two(minutes % 60); }
    var s = document.getElementById("simulated-time");
    if (s && start >= 0) {
      var at = (start + minutes * scale) % (24 * 60);
      var h = Math.floor(at / 60), m = at % 60;
      s.textContent = clock.dataset.lang === "fr" ? h + " h " + two(m) : two(h) + ":" + two(m);
    }
  }
  setInterval(tick, 1000);
}());

(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !live.dataset.stream) { return; }
  var channels = {};
  try { channels = JSON.parse(live.dataset.channels || "{}"); } catch (e) { channels = {}; }
  var kinds = {}, cells = {};
  try { kinds = JSON.parse(live.dataset.kinds || "{}"); } catch (e) { kinds = {}; }
  try { cells = JSON.parse(live.dataset.cells || "{}"); } catch (e) { cells = {}; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function clock(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString();
  }
  function has(list, id) {
    return list.querySelector('li[data-id="' + id + '"]') !== null;
  }

  var es = new EventSource(live.dataset.stream);
  // A form being sent leads to a new page: stop listening, so that a state
  // change does not reload this one in the middle of the navigation.
  var leaving = false;
  document.addEventListener("submit", function () { leaving = true; es.close(); });
  es.addEventListener("stimulus", function (ev) {
    var s = JSON.parse(ev.data);
    var row = document.querySelector('tr[data-stimulus="' + s.id + '"] td.delivery');
    if (row) { row.textContent = clock(s.delivered_at); }
    var list = document.getElementById("received");
    if (!list || has(list, s.id)) { return; }
    var li = el("li", "fresh");
    li.dataset.id = s.id;
    li.appendChild(el("strong", "", s.title));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "small muted", (channels[s.channel] || s.channel) + " · " + s.sender + " · " + clock(s.delivered_at)));
    li.appendChild(el("p", "", s.content));
    (s.attachments || []).forEach(function (a) { li.appendChild(el("p", "small", "📎 " + a)); });
    (s.expected_reactions || []).forEach(function (r) { li.appendChild(el("p", "small muted", "• " + r)); });
    list.appendChild(li);
    var empty = document.getElementById("received-empty");
    if (empty) { empty.hidden = true; }
  });
  es.addEventListener("log", function (ev) {
    var l = JSON.parse(ev.data);
    var list = document.getElementById("log");
    if (!list || has(list, l.id)) { return; }
    var li = el("li");
    li.dataset.id = l.id;
    li.appendChild(el("span", "small muted", clock(l.at) + " · " + l.author + (l.cell ? " (" + (cells[l.cell] || l.cell) + ")" : "")));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "badge", kinds[l.kind] || l.kind));
    li.appendChild(document.createTextNode(" " + l.body));
    list.appendChild(li);
  });
  es.addEventListener("mark", function (ev) {
    var m = JSON.parse(ev.data);
    var cell = document.querySelector('tr[data-criterion="' + m.criterion + '"] td:nth-child(2)');
    if (cell && !cell.querySelector('[data-mark="' + m.id + '"]')) {
      var d = el("div", "", m.score + "/3 · T+" + m.elapsed_seconds + " s" + (m.note ? " — " + m.note : ""));
      d.dataset.mark = m.id;
      cell.appendChild(d);
    }
  });
  es.addEventListener("state", function (ev) {
    var s = JSON.parse(ev.data);
    if (!leaving && (s.status !== live.dataset.status || String(s.paused) !== live.dataset.paused)) {
      es.close();
      window.location.reload();
    }
  });
}());
