/*
 * Karte front-end behaviour. No framework, no inline code (strict CSP).
 *
 *  (a) Charts: <div data-chart="ID"> + <script type="application/json" id="ID">
 *      holding a complete ECharts option object (Django's json_script).
 *  (b) <form data-confirm="..."> (or a submit button with data-confirm)
 *      asks for confirmation before submitting.
 *  (c) [data-autosubmit] controls submit their form on change.
 *  (d) Progress polling is declared with htmx attributes in templates.
 */
(function () {
  "use strict";

  var charts = [];

  function fontFamily() {
    return window.getComputedStyle(document.body).fontFamily || "sans-serif";
  }

  function readOption(id) {
    var source = document.getElementById(id);
    if (!source) {
      return null;
    }
    try {
      return JSON.parse(source.textContent);
    } catch (err) {
      console.error("karte: invalid chart JSON in #" + id, err);
      return null;
    }
  }

  function initCharts() {
    if (!window.echarts) {
      return;
    }
    // Forget charts whose element was swapped out by htmx.
    charts = charts.filter(function (chart) {
      if (document.body.contains(chart.getDom())) {
        return true;
      }
      chart.dispose();
      return false;
    });
    var font = fontFamily();
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (window.echarts.getInstanceByDom(el)) {
        return;
      }
      var option = readOption(el.getAttribute("data-chart"));
      if (!option) {
        return;
      }
      option.textStyle = Object.assign({ fontFamily: font }, option.textStyle);
      var chart = window.echarts.init(el);
      chart.setOption(option);
      charts.push(chart);
    });
  }

  var resizeQueued = false;
  function resizeCharts() {
    if (resizeQueued) {
      return;
    }
    resizeQueued = true;
    window.requestAnimationFrame(function () {
      resizeQueued = false;
      charts.forEach(function (chart) {
        chart.resize();
      });
    });
  }

  // (b) confirmation before submit. Capture phase, so that a cancelled
  // submit never reaches htmx or other listeners on the form.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var button = event.submitter;
      var message =
        (button && button.getAttribute("data-confirm")) ||
        form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  // (c) auto-submit (e.g. a select in a filter form).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.closest || !el.closest("[data-autosubmit]") || !el.form) {
      return;
    }
    if (typeof el.form.requestSubmit === "function") {
      el.form.requestSubmit();
    } else {
      el.form.submit();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initCharts);
  } else {
    initCharts();
  }
  document.addEventListener("htmx:afterSettle", initCharts);
  window.addEventListener("resize", resizeCharts);
})();
