// Comfort on top of a wizard that works without JavaScript: object search, automatic
// reload of columns and fields, "+ Add column" and "X", live cast previews.
(function () {
  "use strict";

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function short(text) {
    return text.length > 32 ? `${text.slice(0, 31)}…` : text;
  }

  function setupReportScreen(form) {
    const refresh = form.querySelector(".wizard-refresh");
    if (!refresh) return;
    for (const name of ["report-report", "report-sobject_name"]) {
      const select = form.querySelector(`select[name="${name}"]`);
      if (select) select.addEventListener("change", () => refresh.click());
    }
    const objects = form.querySelector('select[name="report-sobject_name"]');
    if (!objects) return;
    const search = document.createElement("input");
    search.type = "search";
    search.className = "object-search";
    search.placeholder = "Search objects";
    search.setAttribute("aria-label", "Search objects");
    objects.parentNode.insertBefore(search, objects);
    search.addEventListener("input", () => {
      const wanted = search.value.trim().toLowerCase();
      let first = null;
      for (const option of objects.options) {
        const match = !option.value || option.text.toLowerCase().includes(wanted);
        option.hidden = !match;
        if (match && option.value && !first) first = option;
      }
      if (first && wanted && objects.selectedOptions[0]?.hidden !== false) {
        objects.value = first.value;
      }
    });
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        refresh.click();
      }
    });
  }

  function setupMappingScreen(form) {
    const table = document.getElementById("mapping-table");
    const template = document.getElementById("mapping-empty-row");
    if (!table || !template) return;
    const total = form.querySelector('input[name="mapping-TOTAL_FORMS"]');
    const live = readJson("mapping-live-preview") || {};
    const types = readJson("mapping-field-types") || {};
    const body = table.tBodies[0];

    function rowValue(row, suffix) {
      const select = row.querySelector(`select[name$="-${suffix}"]`);
      return select ? select.value : "";
    }

    function renderPreview(row) {
      const column = rowValue(row, "report_column");
      const field = rowValue(row, "salesforce_field");
      row.querySelector(".field-type").textContent = types[field] || "";
      const list = row.querySelector(".preview ul");
      list.replaceChildren();
      const cells = (live[column] || {})[field] || [];
      for (const cell of cells) {
        const item = document.createElement("li");
        item.className = cell.ok ? "cast-ok" : "cast-fail";
        item.title = cell.raw;
        const raw = short(cell.raw || "(empty)");
        if (!cell.ok) item.textContent = `${raw} ✗ ${cell.shown}`;
        else if (cell.shown) item.textContent = `${raw} → ${short(cell.shown)}`;
        else item.textContent = `${raw} ✓`;
        list.appendChild(item);
      }
    }

    // Each field is written once: options chosen on another row are disabled.
    function refreshUsedFields() {
      const rows = activeRows();
      const used = rows.map((row) => rowValue(row, "salesforce_field")).filter(Boolean);
      for (const row of rows) {
        const select = row.querySelector('select[name$="-salesforce_field"]');
        for (const option of select.options) {
          option.disabled = Boolean(option.value) && option.value !== select.value && used.includes(option.value);
        }
      }
    }

    function activeRows() {
      return Array.from(body.rows).filter((row) => !row.hidden);
    }

    function wire(row) {
      const remove = row.querySelector(".remove-row");
      remove.hidden = false;
      remove.addEventListener("click", () => {
        row.querySelector('input[type="checkbox"][name$="-DELETE"]').checked = true;
        row.hidden = true;
        refreshUsedFields();
      });
      for (const select of row.querySelectorAll("select")) {
        select.addEventListener("change", () => {
          renderPreview(row);
          refreshUsedFields();
        });
      }
    }

    for (const row of body.rows) {
      if (row.querySelector('input[name$="-DELETE"]').checked) row.hidden = true;
      wire(row);
    }
    refreshUsedFields();

    const add = document.getElementById("add-mapping-row");
    add.hidden = false;
    add.addEventListener("click", () => {
      const index = Number(total.value);
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html.trim());
      total.value = String(index + 1);
      const row = body.rows[body.rows.length - 1];
      wire(row);
      refreshUsedFields();
      row.querySelector("select").focus();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("wizard-form");
    if (!form) return;
    document.body.classList.add("js-enabled");
    setupReportScreen(form);
    setupMappingScreen(form);
  });
})();
