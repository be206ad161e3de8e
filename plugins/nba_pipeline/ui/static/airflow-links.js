// Links into Airflow's UI (a DAG run, a task instance's log, the breaker admin DAG) from a page that
// Airflow shows in its frame. The frame is sandboxed without top navigation, so a plain link would
// open Airflow inside the frame; the frame has Airflow's origin, so the link is handed to Airflow's
// own router instead (a history entry and a popstate event), and Airflow shows it in its window.
// Opened on its own (not framed), or with a modifier key, a link behaves as any link.
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a[data-airflow]") : null;
  if (!link || window.parent === window || event.button !== 0 ||
      event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
    return;
  }
  try {
    var airflow = window.parent;
    var current = airflow.history.state || {};
    var index = typeof current.idx === "number" ? current.idx + 1 : 0;
    airflow.history.pushState({usr: null, key: Math.random().toString(36).slice(2, 10), idx: index}, "",
                              link.getAttribute("href"));
    airflow.dispatchEvent(new airflow.PopStateEvent("popstate", {state: airflow.history.state}));
    event.preventDefault();
  } catch (error) {
    // another origin: the link opens in the frame
  }
});
