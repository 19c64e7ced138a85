/* Карточка заключения: conclusion.html?n=<номер>. The card comes from one bucket file of
   data/search/c/ (FNV-1a of the canonical number); an unknown number gets near spellings. */
"use strict";

(() => {
  const S = window.openepbSite;
  const Q = window.openepbSearch;
  const { h, $, setStatus, getJSON } = S;
  const BODY = document.body;
  const RANK = BODY.dataset.rank || "data/rank/";
  const NOT_PUBLISHED = "не опубликовано";

  function dd(dl, term, value, fallback) {
    const empty = value === null || value === undefined || value === "";
    if (empty && fallback === undefined) return;
    dl.append(h("dt", {}, term), h("dd", {}, empty ? h("span", { class: "muted" }, fallback) : value));
  }

  const day = (iso) => (iso ? new Date(iso).toLocaleDateString("ru-RU") : null);

  function orgLink(role, id, name) {
    if (!name && !id) return null;
    return id ? h("a", { href: S.orgHref(role, id) }, name || id) : name;
  }

  function render(m, meta, reg, card, files) {
    const [, values, dups] = card;
    const f = Object.fromEntries(meta.card_fields.map((name, i) => [name, values[i]]));
    const title = (name) => meta.card_titles[name];
    document.title = `${reg} — заключение экспертизы`;
    $("card-title").textContent = `Заключение ${reg}`;
    const flags = $("card-flags");
    flags.replaceChildren();
    if (f.excluded_date) {
      flags.append(h("strong", { class: "verdict-bad" }, `Исключено из реестра ${day(f.excluded_date)}`),
        f.exclusion_reason ? `: ${f.exclusion_reason}` : "", ". ");
    } else flags.append("Действует: в реестре, не исключено. ");
    if (f.conclusion_result) {
      flags.append("Вывод: ", h("strong", { class: f.conclusion_result === "соответствует" ? null : "verdict-bad" }, f.conclusion_result), ".");
    }

    const type = m.types.find((t) => t.code === f.object_type);
    const office = m.offices.find((o) => o.code === f.office_code);
    const district = office ? m.districts[office.district] : null;
    const main = $("card-main");
    main.replaceChildren();
    dd(main, "Регистрационный номер", h("code", {}, reg));
    dd(main, "Номер в написании источника", f.reg_number_published);
    dd(main, title("date_registered"), day(f.date_registered), "не указана");
    dd(main, title("object_type"), f.object_type ? `${f.object_type}${type ? ` — ${type.name}` : ""}` : null, "не указан");
    dd(main, title("object_name"), f.object_name, NOT_PUBLISHED);
    dd(main, title("conclusion_result"), f.conclusion_result, NOT_PUBLISHED);
    dd(main, title("operation_term"), f.operation_term && /^\d{4}-\d\d-\d\d$/.test(f.operation_term) ? day(f.operation_term) : f.operation_term, NOT_PUBLISHED);
    dd(main, title("region"), f.region, NOT_PUBLISHED);
    dd(main, "Территориальный орган", office ? `${office.short}${district ? ` (${district.name})` : ""}` : f.office_code);
    dd(main, title("excluded_date"), day(f.excluded_date), "нет");
    dd(main, title("exclusion_reason"), f.exclusion_reason);

    const opo = $("card-opo");
    opo.replaceChildren();
    dd(opo, title("opo_reg_number"), f.opo_reg_number ? h("code", {}, f.opo_reg_number) : null, NOT_PUBLISHED);
    dd(opo, title("opo_name"), f.opo_name, NOT_PUBLISHED);
    dd(opo, title("hazard_class"), f.hazard_class, NOT_PUBLISHED);

    for (const [box, role, prefix] of [["card-applicant", "applicant", "applicant"], ["card-expert", "expert", "expert_org"]]) {
      const dl = $(box);
      dl.replaceChildren();
      dd(dl, "Наименование", orgLink(role, f[`${prefix}_id`], f[`${prefix}_name`]), NOT_PUBLISHED);
      dd(dl, "ИНН", f[`${prefix}_inn`], NOT_PUBLISHED);
      if (role === "expert") {
        dd(dl, title("licence_number"), f.licence_number, NOT_PUBLISHED);
        dd(dl, title("expert_certificate"), f.expert_certificate);
      }
      dd(dl, "Адрес", f[`${prefix}_address`]);
      dd(dl, "Руководитель", f[`${prefix}_head`]);
      dd(dl, "Телефон", f[`${prefix}_phone`]);
      dd(dl, "Факс", f[`${prefix}_fax`]);
      dd(dl, "Электронная почта", f[`${prefix}_email`]);
    }

    const source = $("card-source");
    source.replaceChildren();
    const file = f.source_file === null ? null : files[f.source_file];
    const fileCell = (entry) => (entry ? [h("code", {}, entry[0]), entry[2] ? h("span", { class: "muted" }, ` · sha256 ${entry[2].slice(0, 16)}…`) : null] : "—");
    dd(source, "Файл", fileCell(file));
    dd(source, "Лист или таблица", f.source_table);
    dd(source, "Строка", f.source_row === null ? null : String(f.source_row));
    if (file && file[3]) dd(source, "Формат файла", (meta.format_labels || {})[file[3]] || file[3]);
    if (f.office_code) {
      dd(source, "Происхождение", [h("a", { href: `quality-${f.office_code}.html` }, "файлы и качество данных органа"), " · ",
        h("a", { href: "downloads.html" }, "выгрузка с полем source_file")]);
    }
    const box = $("card-dups");
    if (!dups.length) box.replaceChildren(h("p", { class: "hint" }, "Других публикаций этого номера не найдено."));
    else {
      const rows = dups.map(([fileIndex, table, row, differs]) => h("tr", {},
        h("td", { class: "source" }, fileCell(files[fileIndex])),
        h("td", {}, table || "—"), h("td", { class: "num" }, row === null ? "—" : String(row)),
        h("td", {}, differs ? differs.split(",").map((n) => title(n) || n).join(", ") : "совпадает")));
      box.replaceChildren(h("div", { class: "table-wrap" }, h("table", { class: "data", id: "dups-table" },
        h("caption", {}, `Тот же номер опубликован ещё ${dups.length} раз(а)`),
        h("thead", {}, h("tr", {}, ["Файл", "Лист", "Строка", "Что отличается"].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, rows))));
    }
    $("card-view").hidden = false;
    setStatus("card-status", "");
  }

  /** Spellings one step from a canonical number: another year, object type or first group, one
      digit of the serial changed, or the serial with one zero more or less. */
  function variants(meta, canonical) {
    const [first, code, serial, year] = canonical.split("-");
    const out = new Set();
    for (const [y] of meta.years) if (y) out.add(`${first}-${code}-${serial}-${y}`);
    for (const t of meta.types) out.add(`${first}-${t}-${serial}-${year}`);
    for (let i = 0; i < serial.length; i++) {
      for (let d = 0; d <= 9; d++) out.add(`${first}-${code}-${serial.slice(0, i)}${d}${serial.slice(i + 1)}-${year}`);
    }
    if (serial.length === 5) out.add(`${first}-${code}-0${serial}-${year}`);
    if (serial.length === 6 && serial[0] === "0") out.add(`${first}-${code}-${serial.slice(1)}-${year}`);
    out.delete(canonical);
    return [...out];
  }

  /** Registration numbers near the one asked for that exist, closest spelling first. */
  async function nearNumbers(meta, asked, canonical) {
    const found = [];
    if (canonical) {
      for (const number of variants(meta, canonical)) {
        const token = Q.regToken(number);
        const entry = (await Q.tokenShard(meta, token))[token];
        if (entry && entry[1]) found.push([number, Q.decode(entry[1])[0]]);
      }
    } else {
      for (const g of (asked.match(/\d+/g) || []).filter((x) => x.length >= 5 && x.length <= 6)) {
        const entry = (await Q.tokenShard(meta, g))[g];
        if (entry && entry[1]) for (const o of Q.decode(entry[1]).slice(0, 10)) found.push([null, o]);
      }
    }
    const rows = await Q.summaries(meta, found.map(([, o]) => o));
    const target = Q.regToken(canonical || asked);
    return rows.map((row) => ({ row, d: Q.levenshtein(Q.regToken(row[0]), target) }))
      .sort((a, b) => a.d - b.d || (a.row[0] < b.row[0] ? -1 : 1)).slice(0, 10).map((x) => x.row);
  }

  async function showMissing(meta, asked, canonical) {
    $("card-view").hidden = true;
    setStatus("card-status", "");
    $("card-title").textContent = "Заключение не найдено";
    $("card-missing-text").textContent = canonical
      ? `Заключение с номером ${canonical} не найдено в реестре.`
      : `«${asked}» не похоже на регистрационный номер заключения (вид NN-XX-NNNNN-YYYY). Заключение не найдено.`;
    $("card-missing").hidden = false;
    const near = await nearNumbers(meta, asked, canonical);
    const box = $("card-near");
    const search = h("p", {}, h("a", { href: `search.html?q=${encodeURIComponent(asked)}` }, `Искать «${asked}» в поиске по реестру`));
    if (!near.length) box.replaceChildren(h("p", {}, "Похожих номеров нет."), search);
    else {
      box.replaceChildren(h("h2", {}, "Похожие номера"), h("ul", { class: "results", id: "near-list" }, near.map((row) => h("li", {},
        h("a", { href: Q.cardHref(row[0]) }, row[0]), h("span", { class: "result-meta" }, `${Q.dateText(row[1])} · ${row[4] || ""}`)))), search);
    }
  }

  async function start() {
    const asked = (new URLSearchParams(location.search).get("n") || "").trim();
    BODY.dataset.cardState = "busy";
    try {
      const [m, meta] = await Promise.all([getJSON(`${RANK}manifest.json`), Q.loadMeta()]);
      if (!asked) {
        setStatus("card-status", "Не указан номер заключения. Найдите заключение в поиске.");
        return;
      }
      const canonical = Q.parseRegNumber(asked);
      if (!canonical) {
        await showMissing(meta, asked, null);
        return;
      }
      const bucket = await Q.indexFile(`c/${Q.fnv1a(canonical) % meta.buckets}.json`, { files: [], cards: [] });
      const card = bucket.cards.find((c) => c[0] === canonical);
      if (!card) await showMissing(meta, asked, canonical);
      else render(m, meta, canonical, card, bucket.files);
    } catch (err) {
      setStatus("card-status", `Не удалось загрузить данные: ${err.message}`, true);
    } finally {
      BODY.dataset.cardState = "done";
    }
  }

  start();
})();
