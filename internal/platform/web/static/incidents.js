// Incident pages follow the live stream of changes (/incidents/flux). On the
// list, each event asks htmx to reload the list ("incidents-changed"; it also
// reloads every minute, should the stream be cut); on an incident's page, an
// event naming that incident reloads its timeline ("incident-ID").
(function () {
  if (!window.EventSource) return;
  var list = document.getElementById("incident-list");
  var timeline = document.getElementById("timeline-entries");
  if (!list && !timeline) return;
  var stream = new EventSource("/incidents/flux");
  stream.addEventListener("incidents", function (e) {
    if (list) htmx.trigger(document.body, "incidents-changed");
    if (timeline) {
      var id = Number(timeline.dataset.incident);
      var changed = JSON.parse(e.data).changed || [];
      if (changed.indexOf(id) >= 0) htmx.trigger(document.body, "incident-" + id);
    }
  });
})();
