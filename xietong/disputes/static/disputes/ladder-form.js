/* The ladder editor: each level shows only the target its handler needs (a department, a person or a
   committee). Without this script every target stays visible, with a hint saying which one counts. */
(function () {
  "use strict";

  function sync(level) {
    var kind = level.querySelector("select[name$='-handler_kind']");
    if (!kind) {
      return;
    }
    level.querySelectorAll("[data-target-of]").forEach(function (box) {
      box.hidden = box.dataset.targetOf !== kind.value;
    });
    var hint = level.querySelector(".target-hint");
    if (hint) {
      hint.hidden = true;
    }
  }

  function init() {
    document.querySelectorAll("#ladder-levels .level-form").forEach(function (level) {
      sync(level);
      level.addEventListener("change", function (event) {
        if (event.target.matches("select[name$='-handler_kind']")) {
          sync(level);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
