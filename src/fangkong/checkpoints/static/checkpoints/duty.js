/* The duty page: the temperature pad, picking a person from the archive,
   the moment of observation, and resetting the form after a pass. After a
   denial the form is kept, so fixing the cause and pressing Register again
   is one tap (the second attempt). No third-party code. */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function setTemperature(value) {
    byId("temperature").value = value;
  }

  function pressKey(key) {
    var value = byId("temperature").value;
    if (key === "back") {
      setTemperature(value.slice(0, -1));
      return;
    }
    if (key === "clear") {
      setTemperature("");
      return;
    }
    if (key === "." && value.indexOf(".") >= 0) return;
    if (value.replace(".", "").length >= 3) value = "";
    value += key;
    // Two digits typed: the decimal point comes next (36 → 36.).
    if (/^\d\d$/.test(value)) value += ".";
    setTemperature(value);
  }

  function pick(personId, label) {
    byId("person_id").value = personId || "";
    var picked = byId("picked");
    var identifier = byId("identifier");
    if (personId) {
      byId("picked-label").textContent = label;
      picked.hidden = false;
      identifier.value = "";
      identifier.hidden = true;
      byId("archive").open = false;
      byId("temperature").focus();
    } else {
      picked.hidden = true;
      identifier.hidden = false;
      identifier.focus();
    }
  }

  function resetForm() {
    var form = byId("entry-form");
    form.reset();
    pick(null);
    byId("visitor").open = false;
    byId("identifier").focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = byId("entry-form");
    if (!form) return;

    document.querySelectorAll(".pad .key").forEach(function (button) {
      button.addEventListener("click", function () {
        if (button.dataset.value) setTemperature(button.dataset.value);
        else pressKey(button.dataset.key);
      });
    });

    byId("unpick").addEventListener("click", function () { pick(null); });

    byId("archive-results").addEventListener("click", function (event) {
      var button = event.target.closest(".pick");
      if (button) pick(button.dataset.personId, button.dataset.label);
    });

    // The moment of observation is the device's, taken once per check, so
    // a repeated submission of the same check carries the same moment.
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (event.detail.elt !== form) return;
      var observed = byId("observed_at");
      if (!observed.value) observed.value = new Date().toISOString();
      event.detail.parameters.observed_at = observed.value;
      event.detail.parameters.client_uuid = byId("client_uuid").value;
    });

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target.id !== "result") return;
      var box = event.detail.target.querySelector(".result");
      if (!box) return;
      box.scrollIntoView({ block: "nearest" });
      var decision = box.dataset.decision;
      if (decision === "admit") {
        resetForm();
      } else if (decision === "error" && box.dataset.field === "temperature") {
        setTemperature("");
        byId("temperature").focus();
      } else if (decision === "error") {
        byId("identifier").select();
      }
    });
  });
})();
