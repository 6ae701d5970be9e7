/* pubdata: the resource form's small enhancements. The form works without them:
   the "add rows" button posts the form and the server shows more blank rows. */
(function () {
  "use strict";
  var form = document.getElementById("resource-form");
  if (!form) { return; }

  // Show only the details of the chosen share and open attribute.
  function toggle(select) {
    var kind = select.getAttribute("data-toggle");
    var blocks = form.querySelectorAll("[data-" + kind + "]");
    for (var i = 0; i < blocks.length; i++) {
      blocks[i].hidden = blocks[i].getAttribute("data-" + kind) !== select.value;
    }
  }
  var selects = form.querySelectorAll("select[data-toggle]");
  for (var i = 0; i < selects.length; i++) {
    toggle(selects[i]);
    selects[i].addEventListener("change", function (e) { toggle(e.target); });
  }

  // Add blank item rows here instead of posting the form.
  var add = document.getElementById("add-rows");
  var body = form.querySelector("#items tbody");
  if (!add || !body) { return; }
  add.addEventListener("click", function (e) {
    var rows = body.querySelectorAll("tr.item-row");
    if (!rows.length) { return; }
    e.preventDefault();
    var template = rows[rows.length - 1];
    var next = rows.length;
    for (var n = 0; n < 10; n++, next++) {
      var row = template.cloneNode(true);
      row.classList.remove("has-problems");
      row.setAttribute("data-index", String(next));
      row.querySelector("td.n").textContent = String(next + 1);
      var fields = row.querySelectorAll("input, select");
      for (var j = 0; j < fields.length; j++) {
        var f = fields[j];
        f.name = f.name.replace(/^items\[\d+\]/, "items[" + next + "]");
        if (f.id) { f.id = f.id.replace(/^f-items-\d+-/, "f-items-" + next + "-"); }
        f.classList.remove("invalid");
        if (f.type === "checkbox") { f.checked = false; }
        else if (f.tagName === "SELECT") { f.selectedIndex = 0; }
        else { f.value = ""; }
      }
      body.appendChild(row);
    }
    var first = body.querySelector("tr.item-row[data-index='" + rows.length + "'] input");
    if (first) { first.focus(); }
  });
})();
