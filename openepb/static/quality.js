// Sortable tables of the data-quality page: a button in every column header sorts by that column;
// a second press reverses the order. Empty cells always go last. Works with mouse and keyboard.
(function () {
  "use strict";

  function cellKey(row, index) {
    const cell = row.cells[index];
    return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
  }

  function compare(a, b, numeric) {
    if (a === "" || b === "") return a === b ? 0 : a === "" ? 1 : -1;
    if (numeric) return Number(a) - Number(b);
    return a.localeCompare(b, "ru");
  }

  function sortBy(table, th, index, status) {
    const order = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", order);
    const numeric = th.dataset.type === "num";
    const sign = order === "ascending" ? 1 : -1;
    // One <tbody> per entry (its row and, below it, a row of details) or one <tbody> of rows.
    const grouped = table.tBodies.length > 1;
    const parent = grouped ? table : table.tBodies[0];
    const units = grouped ? Array.from(table.tBodies) : Array.from(parent.rows);
    const rows = units.map((unit, i) => ({ unit, i, key: cellKey(grouped ? unit.rows[0] : unit, index) }));
    rows.sort((x, y) => {
      if (x.key === "" || y.key === "") return compare(x.key, y.key, numeric) || x.i - y.i;
      return sign * compare(x.key, y.key, numeric) || x.i - y.i;
    });
    for (const item of rows) parent.appendChild(item.unit);
    if (status) {
      const label = th.textContent.trim();
      status.textContent = `Отсортировано: ${label}, ${order === "ascending" ? "по возрастанию" : "по убыванию"}`;
    }
  }

  for (const table of document.querySelectorAll("table.sortable")) {
    const status = document.getElementById("quality-sort-status");
    Array.from(table.tHead.rows[0].cells).forEach((th, index) => {
      const button = th.querySelector("button");
      if (button) button.addEventListener("click", () => sortBy(table, th, index, status));
    });
  }
})();
