// The incidents list follows the live stream of changes (/incidents/flux): each
// event asks htmx to reload the list at once. The list also reloads every
// minute, should the stream be cut.
(function () {
  var list = document.getElementById("incident-list");
  if (!list || !window.EventSource) return;
  var stream = new EventSource(list.dataset.stream);
  stream.addEventListener("incidents", function () {
    htmx.trigger(document.body, "incidents-changed");
  });
})();
