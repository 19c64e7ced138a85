/* Отклонённые строки: rejects.html?office=<код>#row=<строка rejects.csv>. Reads the office's
   data/site/rejects/<код>.json (written with the quality pages) and shows the asked row. */
(function () {
  "use strict";
  const { getJSON, h, $, setStatus } = window.openepbSite;
  const SITE = document.body.dataset.site;

  function rowOf(hash) {
    const m = /(?:^#|&)row=(\d+)/.exec(hash);
    return m ? Number(m[1]) : null;
  }

  function fact(list, term, value) {
    list.append(h("dt", {}, term), h("dd", {}, value === null || value === undefined || value === "" ? "—" : String(value)));
  }

  function show(data, names) {
    const wanted = rowOf(location.hash);
    const rows = data.rows;
    const found = wanted === null ? null : rows.find((r) => r[0] === wanted);
    const shown = $("reject-shown");
    if (found) {
      const [number, file, table, row, reason, title, message, cells] = found;
      $("h-reject").textContent = `Строка ${number} файла rejects.csv`;
      const facts = $("reject-facts");
      facts.replaceChildren();
      fact(facts, "Территориальный орган", names[data.office] || data.office);
      fact(facts, "Файл", file);
      fact(facts, "Лист", table);
      fact(facts, "Строка в файле органа", row);
      fact(facts, "Причина", `${title} (${reason})`);
      fact(facts, "Сообщение", message);
      $("reject-cells").replaceChildren(...(cells || []).map((c) => h("li", {}, c === null || c === "" ? "—" : String(c))));
      shown.hidden = false;
      setStatus("status", "");
    } else {
      shown.hidden = true;
      setStatus("status", wanted === null ? "" : `Строки ${wanted} среди отклонённых строк этого органа нет.`);
    }
    for (const tr of document.querySelectorAll("#reject-table tr[aria-current]")) tr.removeAttribute("aria-current");
    if (found) {
      const tr = document.getElementById(`row-${wanted}`);
      if (tr) tr.setAttribute("aria-current", "true");
    }
  }

  function list(data) {
    const body = data.rows.map(([number, file, table, row, reason, title]) => h("tr", { id: `row-${number}` },
      h("td", { class: "num" }, h("a", { href: `#row=${number}` }, String(number))),
      h("td", { class: "source" }, file, table ? ` · ${table}` : ""),
      h("td", { class: "num" }, row === null ? "—" : String(row)),
      h("td", {}, title, " ", h("code", {}, reason))));
    $("reject-table").replaceChildren(h("table", { class: "data stack" },
      h("caption", { class: "visually-hidden" }, "Отклонённые строки органа"),
      h("thead", {}, h("tr", {}, ["Строка rejects.csv", "Файл · лист", "Строка в файле", "Причина"]
        .map((x, i) => h("th", { scope: "col", class: i === 0 || i === 2 ? "num" : null }, x)))),
      h("tbody", {}, body)));
    $("reject-list").hidden = false;
  }

  async function start() {
    const office = new URLSearchParams(location.search).get("office") || "";
    if (!/^[a-z0-9_-]+$/.test(office)) {
      setStatus("status", "В адресе не указан территориальный орган: откройте страницу по ссылке со страницы органа.", true);
      document.body.dataset.ready = "none";
      return;
    }
    let data;
    let names = {};
    try {
      data = await getJSON(`${SITE}rejects/${office}.json`);
    } catch (err) {
      setStatus("status", `Отклонённых строк органа «${office}» нет или данные не загрузились (${err.message}).`, true);
      document.body.dataset.ready = "none";
      return;
    }
    try {
      const m = await getJSON(`${document.body.dataset.rank}manifest.json`);
      names = Object.fromEntries(m.offices.map((o) => [o.code, o.name]));
    } catch {
      names = {};
    }
    $("h-list").textContent = `Все отклонённые строки органа «${names[office] || office}»: ${data.rows.length}`;
    list(data);
    show(data, names);
    window.addEventListener("hashchange", () => show(data, names));
    document.body.dataset.ready = "rejects";
  }

  start();
})();
