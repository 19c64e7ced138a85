/* Открытый реестр экспертиз: filters, charts, rankings and search, computed in the browser from the
   precomputed JSON under data/. No framework, no external requests. Strings from the data are only
   ever set through textContent or attributes, never parsed as HTML. */
"use strict";

(() => {
  const BODY = document.body;
  const RANK = BODY.dataset.rank || "data/rank/";
  const SITE = BODY.dataset.site || "data/site/";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const MONTHS = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"];
  const MONTH_NAMES = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
    "сентябрь", "октябрь", "ноябрь", "декабрь"];
  const PALETTE = ["#1f5f99", "#c25400", "#2e7d32", "#7b3fa0", "#b3261e", "#00796b", "#6d4c41",
    "#ad1457", "#4e5d6c", "#8a6d00"];
  const ROLE_NAMES = { expert: "Экспертная организация", applicant: "Заявитель" };
  const TOP_SHOWN = { pulse: 20, orgs: 30 };

  // ------------------------------------------------------------------------------------------
  // Small helpers

  const jsonCache = new Map();
  /** Fetch JSON once per URL; a failed fetch is forgotten so it can be retried. */
  function getJSON(url) {
    if (!jsonCache.has(url)) {
      const promise = fetch(url).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}: ${url}`);
        return r.json();
      });
      promise.catch(() => jsonCache.delete(url));
      jsonCache.set(url, promise);
    }
    return jsonCache.get(url);
  }

  /** Create an element; strings among children become text nodes (never HTML). */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function s(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function $(id) {
    return document.getElementById(id);
  }

  const numberFormat = new Intl.NumberFormat("ru-RU");
  const fmt = (n) => (n === null || n === undefined ? "—" : numberFormat.format(n));
  function pct(x) {
    if (!x) return "0 %";
    const digits = x < 0.001 ? 3 : x < 0.1 ? 2 : 1;
    return `${(x * 100).toFixed(digits).replace(".", ",")} %`;
  }

  function setStatus(id, text, isError) {
    const node = $(id);
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
    node.classList.toggle("error", Boolean(isError));
  }

  /** Last index i with list[i] <= value (code-point order), or -1. */
  function lastAtMost(list, value) {
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] <= value) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  // ------------------------------------------------------------------------------------------
  // Filter state ⇄ URL
  // ?from=2015&to=2017&type=ob&region=d-CFD (or o-mos); defaults are left out of the URL.

  function defaultState(m) {
    return { from: m.years[0], to: m.years[m.years.length - 1], type: null, district: null, office: null };
  }

  function parseState(m, search) {
    const q = new URLSearchParams(search);
    const st = defaultState(m);
    const from = Number(q.get("from"));
    const to = Number(q.get("to"));
    if (m.years.includes(from)) st.from = from;
    if (m.years.includes(to)) st.to = to;
    if (st.from > st.to) [st.from, st.to] = [st.to, st.from];
    const type = q.get("type");
    if (m.types.some((t) => t.key === type)) st.type = type;
    const region = q.get("region") || "";
    const office = m.offices.find((o) => o.key === region);
    const district = m.districts.find((d) => d.key === region);
    if (office) {
      st.office = office.key;
      st.district = m.districts[office.district].key;
    } else if (district) st.district = district.key;
    return st;
  }

  /** The filter parameters of ``search`` that name nothing in the data (``["type=xyz", …]``);
   * parseState has ignored them. */
  function invalidParams(m, search) {
    const q = new URLSearchParams(search);
    const bad = [];
    for (const key of ["from", "to"]) {
      if (q.has(key) && !m.years.includes(Number(q.get(key)))) bad.push(`${key}=${q.get(key)}`);
    }
    const type = q.get("type");
    if (type && !m.types.some((t) => t.key === type)) bad.push(`type=${type}`);
    const region = q.get("region");
    if (region && !m.offices.some((o) => o.key === region) && !m.districts.some((d) => d.key === region)) {
      bad.push(`region=${region}`);
    }
    return bad;
  }

  /** Replace an address with wrong filter parameters by the one of what is shown, and say so. */
  function correctAddress(bad, query, anchor) {
    if (!bad.length) return;
    history.replaceState(null, "", `${location.pathname}${query}${location.hash}`);
    const listed = bad.map((b) => `«${b}»`).join(", ");
    const note = h("p", { class: "notice param-note", id: "param-note", role: "status" },
      `Адрес страницы исправлен: ${bad.length > 1 ? "значения" : "значение"} ${listed} в данных нет, ${bad.length > 1 ? "они убраны" : "оно убрано"}; показано то, что есть.`);
    const old = $("param-note");
    if (old) old.replaceWith(note);
    else if (anchor) anchor.after(note);
  }

  function stateQuery(m, st, extra) {
    const q = new URLSearchParams(extra || {});
    if (st.from !== m.years[0]) q.set("from", st.from);
    if (st.to !== m.years[m.years.length - 1]) q.set("to", st.to);
    if (st.type) q.set("type", st.type);
    const region = st.office || st.district;
    if (region) q.set("region", region);
    const text = q.toString();
    return text ? `?${text}` : "";
  }

  const regionKey = (st) => st.office || st.district || "all";

  function variantOf(m) {
    return m.variants.active ? "active" : Object.keys(m.variants)[0];
  }

  function comboUrl(m, st) {
    return `${RANK}${variantOf(m)}/c/${st.from}-${st.to}/${st.type || "all"}/${regionKey(st)}.json`;
  }

  function describeState(m, st) {
    const parts = [st.from === st.to ? `${st.from} год` : `${st.from}–${st.to} годы`];
    const type = m.types.find((t) => t.key === st.type);
    parts.push(type ? `${type.code}: ${type.name}` : "все объекты экспертизы");
    const office = m.offices.find((o) => o.key === st.office);
    const district = m.districts.find((d) => d.key === st.district);
    if (office) parts.push(`${office.short} (${district ? district.short : ""})`);
    else if (district) parts.push(district.name);
    else parts.push("все территориальные органы");
    return parts.join(" · ");
  }

  /** Region membership test for an office index under a state. */
  function regionTest(m, st) {
    if (st.office) {
      const index = m.offices.findIndex((o) => o.key === st.office);
      return (o) => o === index;
    }
    if (st.district) {
      const d = m.districts.findIndex((x) => x.key === st.district);
      return (o) => m.offices[o].district === d;
    }
    return () => true;
  }

  // ------------------------------------------------------------------------------------------
  // Filter form

  function option(value, label, selected) {
    return h("option", { value, selected }, label);
  }

  function fillSelect(select, options) {
    if (!select) return;
    select.replaceChildren(...options);
  }

  /** Wire the filter form: fill the selects, keep them in sync with the URL, call onChange(state). */
  function setupFilters(m, onChange, fields) {
    const form = $("filters");
    let st = parseState(m, location.search);
    correctAddress(invalidParams(m, location.search), stateQuery(m, st, keepParams()), form);
    const sel = {
      from: $("f-from"), to: $("f-to"), type: $("f-type"), district: $("f-district"), office: $("f-office"),
    };

    function sync() {
      fillSelect(sel.from, m.years.map((y) => option(y, String(y), y === st.from)));
      fillSelect(sel.to, m.years.map((y) => option(y, String(y), y === st.to)));
      fillSelect(sel.type, [option("", "Все объекты", !st.type),
        ...m.types.map((t) => option(t.key, `${t.code} — ${t.name}`, t.key === st.type))]);
      fillSelect(sel.district, [option("", "Все округа", !st.district),
        ...m.districts.map((d) => option(d.key, d.name, d.key === st.district))]);
      const d = m.districts.findIndex((x) => x.key === st.district);
      const offices = m.offices.filter((o) => d < 0 || o.district === d);
      fillSelect(sel.office, [option("", d < 0 ? "Все органы" : "Все органы округа", !st.office),
        ...offices.map((o) => option(o.key, o.short, o.key === st.office))]);
      const summary = $("filter-summary");
      if (summary) summary.textContent = fields.years === false ? "" : describeState(m, st);
    }

    function readForm(changed) {
      const next = { ...st };
      if (sel.from) next.from = Number(sel.from.value);
      if (sel.to) next.to = Number(sel.to.value);
      if (next.from > next.to) {
        if (changed === "from") next.to = next.from;
        else next.from = next.to;
      }
      if (sel.type) next.type = sel.type.value || null;
      if (sel.district) next.district = sel.district.value || null;
      if (sel.office) next.office = sel.office.value || null;
      if (changed === "district") next.office = null;
      if (changed === "office" && next.office) {
        const office = m.offices.find((o) => o.key === next.office);
        next.district = m.districts[office.district].key;
      }
      return next;
    }

    function apply(next, push) {
      st = next;
      if (st.from > st.to) [st.from, st.to] = [st.to, st.from];
      if (push) {
        const url = `${location.pathname}${stateQuery(m, st, keepParams())}${location.hash}`;
        history.pushState(null, "", url);
      }
      sync();
      onChange(st);
    }

    form.addEventListener("change", (event) => {
      const name = event.target.name;
      apply(readForm(name), true);
      const again = sel[name];
      if (again) again.focus();
    });
    const reset = $("f-reset");
    if (reset) reset.addEventListener("click", () => apply(defaultState(m), true));
    window.addEventListener("popstate", () => apply(parseState(m, location.search), false));
    /** Set part of the filter from a chart (a click on a bar, slice, month or district), as the form does. */
    const go = (patch) => apply({ ...st, ...patch }, true);
    const getter = () => st;
    getter.go = go;
    onChange = ((inner) => (state) => inner(state, go))(onChange);
    sync();
    onChange(st);
    return getter;
  }

  /** Query parameters that are not filter state (e.g. role and id on an organization page). */
  function keepParams() {
    const q = new URLSearchParams(location.search);
    const kept = {};
    for (const key of ["role", "id", "q", "sort", "dir"]) if (q.has(key)) kept[key] = q.get(key);
    return kept;
  }

  /** What search.js and conclusion.js reuse (loaded after this file). */
  window.openepbSite = { getJSON, h, $, fmt, setStatus, setupFilters, parseState, stateQuery, describeState, orgHref, levenshtein };

  /** Run on every filter change (setupFilters) and redraw the last view when the window is resized. */
  function watchFilters(m, run, redraw) {
    setupFilters(m, run, {});
    let resizeTimer = 0;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(redraw, 150);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Charts: hand-written SVG sized to their container, each with a table and a text alternative

  function chartWidth(container) {
    return Math.max(260, Math.min(1200, container.clientWidth || 600));
  }

  /** A share computed once from the two counts and rounded once, to hundredths: 1 of 22 is 4,55 %. */
  function share(count, total) {
    if (!total || !count) return "0 %";
    const text = ((count / total) * 100).toFixed(2);
    return text === "0.00" ? "< 0,01 %" : `${text.replace(".", ",")} %`;
  }

  /** A type's colour from the manifest (keyed by its code, the same on every page). */
  const typeColor = (t, i) => (t && t.color) || PALETTE[i % PALETTE.length];

  function dataTable(caption, headers, rows) {
    return h("div", { class: "table-wrap" },
      h("table", { class: "data compact" },
        h("caption", { class: "visually-hidden" }, caption),
        h("thead", {}, h("tr", {}, headers.map((x, i) => h("th", { scope: "col", class: i ? "num" : null }, x)))),
        h("tbody", {}, rows.map((r) => h("tr", {}, r.map((x, i) => (i ? h("td", { class: "num" }, x)
          : h("th", { scope: "row" }, x))))))));
  }

  /** The label shown under a chart while a mark is hovered or focused (the <title> says the same). */
  function chartTip() {
    return h("p", { class: "chart-tip", "aria-hidden": "true" }, "\u00a0");
  }

  function chartFigure(container, svg, summary, caption, headers, rows, tip) {
    const details = h("details", { class: "chart-table" },
      h("summary", {}, "Таблица данных"), dataTable(caption, headers, rows));
    container.replaceChildren(h("figure", {}, svg, tip || null,
      h("figcaption", { class: "chart-summary" }, summary)), details);
  }

  /** A mark's tooltip (<title> and the visible label); with pick, a click, Enter or Space sets a filter. */
  function mark(node, label, tip, pick, key) {
    node.prepend(s("title", {}, label));
    const show = () => { if (tip) tip.textContent = label; };
    const hide = () => { if (tip) tip.textContent = "\u00a0"; };
    node.addEventListener("mouseenter", show);
    node.addEventListener("mouseleave", hide);
    if (!pick) return node;
    node.classList.add("pick");
    node.dataset.pick = key;
    if (node.getAttribute("tabindex") !== "-1") {
      setAttrs(node, { tabindex: 0, role: "button" });  // its name is the <title> above (SVG-AAM)
      node.addEventListener("focus", show);
      node.addEventListener("blur", hide);
    }
    node.addEventListener("click", () => pick(key));
    node.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      pick(key);
    });
    return node;
  }

  function svgRoot(width, height, title, desc, interactive) {
    const id = `c${Math.random().toString(36).slice(2, 9)}`;
    return s("svg", {
      viewBox: `0 0 ${width} ${height}`, width, height, role: interactive ? "group" : "img",
      "aria-labelledby": `${id}t ${id}d`, class: "svg-chart",
    }, s("title", { id: `${id}t` }, title), s("desc", { id: `${id}d` }, desc));
  }

  /** The top of a value axis with four equal, round steps (0, 50, 100, 150, 200). */
  function niceMax(value) {
    if (value <= 0) return 4;
    const raw = value / 4;
    const exp = 10 ** Math.floor(Math.log10(raw));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * exp >= raw) return Math.max(4, step * exp * 4);
    return 40 * exp;
  }

  function axisTicks(svg, max, x0, x1, yOf) {
    for (let i = 0; i <= 4; i++) {
      const v = (max / 4) * i;
      const y = yOf(v);
      svg.append(s("line", { x1: x0, x2: x1, y1: y, y2: y, class: i ? "grid" : "axis" }),
        s("text", { x: x0 - 6, y: y + 4, class: "tick", "text-anchor": "end" }, fmt(Math.round(v))));
    }
  }

  function extremes(labels, values) {
    let hi = 0;
    for (let i = 1; i < values.length; i++) if (values[i] > values[hi]) hi = i;
    return `больше всего — ${labels[hi]}: ${fmt(values[hi])}`;
  }

  /** The frame of a column chart: the SVG, its tip, the value axis and the width of one column. */
  function columnFrame({ width, height, left, top, bottom, max, title, summary, pick }, columns) {
    const svg = svgRoot(width, height, title, summary, Boolean(pick));
    const plotH = height - top - bottom;
    const yOf = (v) => top + plotH - (v / max) * plotH;
    axisTicks(svg, max, left, width - 8, yOf);
    return { svg, tip: chartTip(), plotH, yOf, slot: (width - left - 8) / columns };
  }

  const countLabel = (label, v, total) => `${label}: ${fmt(v)} закл. (${share(v, total)})`;

  /** Vertical columns with a value over each (years); pick(year) on a click. */
  function columnChart(container, { title, labels, values, pick, hint }) {
    const width = chartWidth(container);
    const height = 240;
    const left = 56;
    const top = 20;
    const bottom = 28;
    const max = niceMax(Math.max(...values));
    const total = values.reduce((a, b) => a + b, 0);
    const summary = `${title}: всего ${fmt(total)}; ${extremes(labels, values)}.${pick ? ` ${hint}` : ""}`;
    const { svg, tip, plotH, yOf, slot } = columnFrame({ width, height, left, top, bottom, max, title, summary, pick }, values.length);
    const barW = Math.min(64, slot * 0.64);
    values.forEach((v, i) => {
      const x = left + slot * i + (slot - barW) / 2;
      const y = yOf(v);
      svg.append(mark(s("g", {},
        s("rect", { x: left + slot * i, y: top, width: slot, height: plotH, fill: "transparent" }),
        s("rect", { x, y, width: barW, height: Math.max(0, top + plotH - y), fill: PALETTE[0], rx: 2 }),
        s("text", { x: x + barW / 2, y: y - 5, class: "value", "text-anchor": "middle" }, fmt(v)),
        s("text", { x: x + barW / 2, y: height - 9, class: "label", "text-anchor": "middle" }, labels[i])),
      countLabel(labels[i], v, total), tip, pick, labels[i]));
    });
    chartFigure(container, svg, summary, title, ["Год", "Заключений", "Доля"],
      labels.map((l, i) => [l, fmt(values[i]), share(values[i], total)]), tip);
  }

  /** Monthly columns across several years, year labels under each January; pick(year) on a click
      on a month or (from the keyboard) on the year under it. */
  function monthChart(container, { title, years, months, nodate, pick, hint }) {
    const width = chartWidth(container);
    const height = 220;
    const left = 56;
    const top = 14;
    const bottom = 28;
    const max = niceMax(Math.max(1, ...months));
    const total = months.reduce((a, b) => a + b, 0) + (nodate || 0);
    const labels = [];
    years.forEach((y) => MONTHS.forEach((mo) => labels.push(`${mo} ${y}`)));
    const tail = nodate ? `; без даты внесения — ${fmt(nodate)}` : "";
    const summary = `${title}: ${extremes(labels, months)}${tail}.${pick ? ` ${hint}` : ""}`;
    const { svg, tip, plotH, yOf, slot } = columnFrame({ width, height, left, top, bottom, max, title, summary, pick }, months.length);
    months.forEach((v, i) => {
      const y = yOf(v);
      svg.append(mark(s("rect", { x: left + slot * i, y, width: Math.max(1, slot),
        height: Math.max(0, top + plotH - y), fill: PALETTE[0], stroke: "#fff", "stroke-width": slot > 4 ? 1 : 0,
        tabindex: -1 }), countLabel(labels[i], v, total), tip, pick, String(years[Math.floor(i / 12)])));
    });
    years.forEach((y, k) => {
      const x = left + slot * 12 * k;
      const sum = months.slice(k * 12, k * 12 + 12).reduce((a, b) => a + b, 0);
      svg.append(s("line", { x1: x, x2: x, y1: top, y2: top + plotH + 4, class: "axis" }),
        mark(s("text", { x: x + slot * 6, y: height - 9, class: "label", "text-anchor": "middle" }, String(y)),
          countLabel(`${y} год`, sum, total), tip, pick, String(y)));
    });
    const rows = years.map((y, k) => [String(y), ...MONTHS.map((_, j) => fmt(months[k * 12 + j]))]);
    chartFigure(container, svg, summary, title, ["Год", ...MONTH_NAMES], rows, tip);
  }

  /** Donut of shares with an HTML legend of full names, wrapped; colours by type (manifest). */
  function donutChart(container, { title, labels, names, values, colors, keys, pick, hint }) {
    const total = values.reduce((a, b) => a + b, 0);
    const order = values.map((v, i) => i).filter((i) => values[i] > 0).sort((a, b) => values[b] - values[a]);
    const size = 200;
    const r = 86;
    const inner = 52;
    const parts = order.map((i) => `${labels[i]} — ${share(values[i], total)}`);
    const summary = `${title}: ${parts.join(", ")}.${pick ? ` ${hint}` : ""}`;
    const svg = svgRoot(size, size, title, summary, Boolean(pick));
    const tip = chartTip();
    let angle = -Math.PI / 2;
    const cx = size / 2;
    const cy = size / 2;
    const label = (i) => `${labels[i]} — ${names[i]}: ${fmt(values[i])} закл. (${share(values[i], total)})`;
    order.forEach((i) => {
      const sweep = (values[i] / total) * Math.PI * 2;
      let node;
      if (sweep >= Math.PI * 2 - 1e-9) {
        node = s("circle", { cx, cy, r: (r + inner) / 2, fill: "none", stroke: colors[i], "stroke-width": r - inner, "data-type": labels[i] });
      } else {
        const a0 = angle;
        const a1 = angle + sweep;
        const large = sweep > Math.PI ? 1 : 0;
        const p = (rad, a) => `${cx + rad * Math.cos(a)} ${cy + rad * Math.sin(a)}`;
        const d = `M ${p(r, a0)} A ${r} ${r} 0 ${large} 1 ${p(r, a1)} L ${p(inner, a1)} A ${inner} ${inner} 0 ${large} 0 ${p(inner, a0)} Z`;
        node = s("path", { d, fill: colors[i], stroke: "#fff", "stroke-width": 1.5, "data-type": labels[i] });
      }
      svg.append(mark(node, label(i), tip, pick, keys ? keys[i] : null));
      angle += sweep;
    });
    svg.append(s("text", { x: cx, y: cy + 2, class: "donut-total", "text-anchor": "middle" }, fmt(total)),
      s("text", { x: cx, y: cy + 20, class: "tick", "text-anchor": "middle" }, "всего"));
    const legend = h("ul", { class: "legend" }, order.map((i) => {
      const item = h("li", { "data-type": labels[i] },
        h("span", { class: "swatch", style: `background:${colors[i]}`, "aria-hidden": "true" }),
        h("span", { class: "legend-code" }, labels[i]),
        h("span", { class: "legend-name" }, names[i]),
        h("span", { class: "legend-value" }, `${fmt(values[i])} · ${share(values[i], total)}`));
      if (pick) {
        item.classList.add("pick");
        item.addEventListener("click", () => pick(keys[i]));
      }
      return item;
    }));
    const rows = order.map((i) => [`${labels[i]} — ${names[i]}`, fmt(values[i]), share(values[i], total)]);
    chartFigure(container, h("div", { class: "donut-row" }, svg, legend), summary, title,
      ["Объект", "Заключений", "Доля"], rows, tip);
  }

  /** Horizontal bars with the label above each bar (long names fit on a phone); pick(key) on a click. */
  function barList(container, { title, labels, values, keys, pick, hint }) {
    const width = chartWidth(container);
    const order = values.map((v, i) => i).filter((i) => values[i] > 0).sort((a, b) => values[b] - values[a]);
    const total = values.reduce((a, b) => a + b, 0);
    const max = Math.max(1, ...values);
    const rowH = 38;
    const height = Math.max(rowH, order.length * rowH) + 4;
    const summary = `${title}: ${order.slice(0, 3).map((i) => `${labels[i]} — ${fmt(values[i])}`).join(", ")}${order.length > 3 ? " и другие" : ""}.${pick ? ` ${hint}` : ""}`;
    const svg = svgRoot(width, height, title, summary, Boolean(pick));
    const tip = chartTip();
    const valueW = 96;
    order.forEach((i, k) => {
      const y = k * rowH;
      const w = Math.max(2, ((width - valueW) * values[i]) / max);
      svg.append(mark(s("g", {},
        s("rect", { x: 0, y, width, height: rowH, fill: "transparent" }),
        s("text", { x: 0, y: y + 13, class: "label" }, labels[i]),
        s("rect", { x: 0, y: y + 18, width: w, height: 14, fill: PALETTE[0], rx: 2 }),
        s("text", { x: w + 6, y: y + 30, class: "value" }, `${fmt(values[i])} · ${share(values[i], total)}`)),
      countLabel(labels[i], values[i], total), tip, pick, keys ? keys[i] : null));
    });
    chartFigure(container, svg, summary, title, ["Территория", "Заключений", "Доля"],
      order.map((i) => [labels[i], fmt(values[i]), share(values[i], total)]), tip);
  }

  /** Places per year of the organizations in the latest year's TOP (a bump chart): place 1 on top,
      places below the cut drawn on the bottom line; the table behind it holds every place. */
  function rankChart(container, { title, years, series, cut }) {
    const width = chartWidth(container);
    const left = 34;
    const right = Math.min(260, width * 0.36);
    const top = 12;
    const rowH = 15;
    const height = top + rowH * (cut + 1) + 30;
    const summary = `${title}: ${series.length} организаций, места по годам ${years[0]}–${years[years.length - 1]}; ниже ${cut}-го места — на нижней линии.`;
    const svg = svgRoot(width, height, title, summary, false);
    const tip = chartTip();
    const plotW = width - left - right;
    const xOf = (k) => left + (years.length > 1 ? (plotW * k) / (years.length - 1) : plotW / 2);
    const yOf = (rank) => top + rowH * (Math.min(rank, cut + 1) - 0.5);
    for (const rank of [1, 5, 10, 15, 20, 25, 30].filter((x) => x <= cut)) {
      svg.append(s("line", { x1: left, x2: left + plotW, y1: yOf(rank), y2: yOf(rank), class: "grid" }),
        s("text", { x: left - 6, y: yOf(rank) + 4, class: "tick", "text-anchor": "end" }, String(rank)));
    }
    svg.append(s("text", { x: left - 6, y: yOf(cut + 1) + 4, class: "tick", "text-anchor": "end" }, `>${cut}`));
    years.forEach((y, k) => svg.append(s("text", { x: xOf(k), y: height - 8, class: "label", "text-anchor": "middle" }, String(y))));
    series.forEach(({ name, ranks }, n) => {
      const color = PALETTE[n % PALETTE.length];
      const g = s("g", { class: "rank-line" });
      let path = "";
      ranks.forEach((rank, k) => {
        if (rank === null) return;
        path += `${path && ranks[k - 1] !== null && ranks[k - 1] !== undefined ? " L" : " M"} ${xOf(k)} ${yOf(rank)}`;
      });
      g.append(s("path", { d: path.trim(), fill: "none", stroke: color, "stroke-width": 2 }));
      ranks.forEach((rank, k) => {
        if (rank !== null) g.append(s("circle", { cx: xOf(k), cy: yOf(rank), r: 3, fill: color }));
      });
      const last = ranks[ranks.length - 1];
      const short = name.length > 34 ? `${name.slice(0, 33)}…` : name;
      g.append(s("text", { x: left + plotW + 8, y: yOf(last) + 4, class: "label" }, `${last}. ${short}`));
      const places = ranks.map((rank, k) => `${years[k]} — ${rank === null ? "нет" : rank}`).join(", ");
      svg.append(mark(g, `${name}: ${places}`, tip, null, null));
    });
    chartFigure(container, svg, summary, title, ["Организация", ...years.map(String)],
      series.map(({ name, ranks }) => [name, ...ranks.map((r) => (r === null ? "—" : String(r)))]), tip);
  }

  function emptyChart(container, text) {
    container.replaceChildren(h("p", { class: "empty" }, text));
  }

  // ------------------------------------------------------------------------------------------
  // Tables of organizations

  function orgHref(role, id, m, st) {
    const extra = { role, id };
    return `org.html${m && st ? stateQuery(m, st, extra) : `?${new URLSearchParams(extra)}`}`;
  }

  /** «Заключений» in a column header; a phone shows «Закл.» (the full word stays for screen readers). */
  function countHead() {
    return [h("span", { class: "th-long" }, "Заключений"), h("span", { class: "th-short", "aria-hidden": "true" }, "Закл.")];
  }

  function topTable(container, role, rows, limit, m, st, total) {
    if (!rows.length) {
      container.replaceChildren(h("p", { class: "empty" }, "По этому фильтру организаций нет."));
      return;
    }
    const caption = role === "expert" ? "Экспертные организации по числу заключений" : "Заявители по числу заключений";
    const body = rows.slice(0, limit).map(([id, name, count, rank, rowShare]) => h("tr", {},
      h("td", { class: "num rank" }, String(rank)),
      h("td", { class: "name" }, h("a", { href: orgHref(role, id, m, st) }, name)),
      h("td", { class: "num" }, fmt(count)),
      h("td", { class: "num" }, total ? share(count, total) : pct(rowShare))));
    container.replaceChildren(h("div", { class: "table-wrap" }, h("table", { class: "data ranking" },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "num" }, "Место"), h("th", { scope: "col" }, "Организация"),
        h("th", { scope: "col", class: "num" }, countHead()), h("th", { scope: "col", class: "num" }, "Доля"))),
      h("tbody", {}, body))));
  }

  // ------------------------------------------------------------------------------------------
  // «Пульс экспертиз»

  function regionSeries(m, st, combo) {
    if (!st.district) {
      return { title: "Заключения по федеральным округам", labels: m.districts.map((d) => d.name), values: combo.district, keys: m.districts.map((d) => d.key) };
    }
    const d = m.districts.findIndex((x) => x.key === st.district);
    const idx = m.offices.map((o, i) => i).filter((i) => m.offices[i].district === d);
    return {
      title: `Заключения по территориальным органам: ${m.districts[d].short}`,
      labels: idx.map((i) => m.offices[i].short), values: idx.map((i) => combo.office[i]), keys: idx.map((i) => m.offices[i].key),
    };
  }

  /** What a click on each chart of a filtered page sets: years, type, district or office (again: all). */
  function chartPicks(m, st, go) {
    if (!go) return {};
    const whole = { from: m.years[0], to: m.years[m.years.length - 1] };
    return {
      year: (y) => go(st.from === Number(y) && st.to === Number(y) ? whole : { from: Number(y), to: Number(y) }),
      type: (key) => go({ type: st.type === key ? null : key }),
      region: (key) => {
        const office = m.offices.find((o) => o.key === key);
        if (office) go({ office: st.office === key ? null : key, district: m.districts[office.district].key });
        else go({ district: st.district === key ? null : key, office: null });
      },
    };
  }

  const HINTS = {
    year: "Щелчок по столбцу или Enter на нём — фильтр по этому году, повторно — все годы.",
    month: "Щелчок по месяцу или по году под ним — фильтр по этому году, повторно — все годы.",
    type: "Щелчок по доле или строке легенды, Enter на доле — фильтр по этому объекту, повторно — все объекты.",
    region: "Щелчок по полосе или Enter на ней — фильтр по этому округу или органу, повторно — без него.",
  };

  function typeSeries(m, values, pick) {
    return {
      labels: m.types.map((t) => t.code), names: m.types.map((t) => t.name), values,
      colors: m.types.map(typeColor), keys: m.types.map((t) => t.key), pick, hint: HINTS.type,
    };
  }

  /** Show the view, or hide it and say why (then false). */
  function viewShown(count, emptyText) {
    $("view").hidden = count === 0;
    setStatus("status", count === 0 ? emptyText : "");
    return count !== 0;
  }

  function renderPulse(m, st, combo, go) {
    if (!viewShown(combo.n, "По этому фильтру заключений нет. Измените годы, объект или регион.")) return;
    $("fig-n").textContent = fmt(combo.n);
    $("fig-expert").textContent = fmt(combo.distinct[0]);
    $("fig-applicant").textContent = fmt(combo.distinct[1]);
    $("fig-office").textContent = fmt(combo.distinct[2]);
    const years = m.years.filter((y) => y >= st.from && y <= st.to);
    const pick = chartPicks(m, st, go);
    columnChart($("chart-year"), { title: "Заключения по годам", labels: years.map(String), values: combo.year, pick: pick.year, hint: HINTS.year });
    monthChart($("chart-month"), { title: "Заключения по месяцам", years, months: combo.month, nodate: combo.nodate, pick: pick.year, hint: HINTS.month });
    donutChart($("chart-type"), { title: "Заключения по объектам экспертизы", ...typeSeries(m, combo.type, pick.type) });
    barList($("chart-region"), { ...regionSeries(m, st, combo), pick: pick.region, hint: HINTS.region });
    topTable($("top-expert"), "expert", combo.top.expert, TOP_SHOWN.pulse, m, st, combo.n);
    topTable($("top-applicant"), "applicant", combo.top.applicant, TOP_SHOWN.pulse, m, st, combo.n);
  }

  // ------------------------------------------------------------------------------------------
  // Analytic pages share one loop: filter change → one combination file → render

  /** The rank manifest, or null after saying on the page that it did not load. */
  function loadManifest() {
    return getJSON(`${RANK}manifest.json`).catch((err) => {
      setStatus("status", `Не удалось загрузить данные: ${err.message}`, true);
      return null;
    });
  }

  async function analyticPage(render) {
    const m = await loadManifest();
    if (!m) return;
    let ticket = 0;
    let last = null;
    if (location.search) $("view").hidden = true; // the built page holds the default view only
    setStatus("status", "Загрузка данных…");
    let refocus = null;
    $("view").addEventListener("click", (event) => {
      const picked = event.target.closest("[data-pick]");
      refocus = picked ? [picked.closest(".chart").id, picked.dataset.pick] : null;
    }, true);
    $("view").addEventListener("keydown", (event) => {
      const picked = event.target.closest("[data-pick]");
      if (picked && (event.key === "Enter" || event.key === " ")) refocus = [picked.closest(".chart").id, picked.dataset.pick];
    }, true);
    const run = async (st, go) => {
      const mine = ++ticket;
      try {
        const combo = await getJSON(comboUrl(m, st));
        if (mine !== ticket) return;
        last = [st, combo, go];
        const started = performance.now();
        render(m, st, combo, go);
        if (refocus) {
          const [chart, key] = refocus;
          refocus = null;
          const marks = [...document.querySelectorAll(`#${chart} [data-pick][tabindex="0"]`)];
          const again = marks.find((x) => x.dataset.pick === key) || marks[0]; // a district's offices replace it
          if (again) again.focus();
        }
        BODY.dataset.renderMs = (performance.now() - started).toFixed(1);
        BODY.dataset.ready = comboUrl(m, st);
      } catch (err) {
        setStatus("status", `Не удалось загрузить данные: ${err.message}`, true);
      }
    };
    watchFilters(m, run, () => last && render(m, ...last));
  }

  // ------------------------------------------------------------------------------------------
  // «Организации»: rankings under the filter and search

  function renderOrgs(m, st, combo) {
    if (!viewShown(combo.n, "По этому фильтру заключений нет, рейтинг пуст.")) return;
    topTable($("rank-expert"), "expert", combo.top.expert, TOP_SHOWN.orgs, m, st, combo.n);
    topTable($("rank-applicant"), "applicant", combo.top.applicant, TOP_SHOWN.orgs, m, st, combo.n);
  }

  /** Lower case, ё → е, punctuation and quotes → spaces; in a word that mixes scripts, Latin
      look-alikes become Cyrillic («OOO» typed in Latin inside a Russian name). */
  const LOOKALIKE = { a: "а", b: "в", c: "с", e: "е", h: "н", k: "к", m: "м", o: "о", p: "р", t: "т", x: "х", y: "у" };
  function normalizeName(text) {
    const words = String(text || "").toLowerCase().replace(/ё/g, "е").replace(/[^0-9a-zа-я]+/g, " ").trim().split(" ");
    return words.map((w) => (/[а-я]/.test(w) ? w.replace(/[abcehkmoptxy]/g, (ch) => LOOKALIKE[ch]) : w)).join(" ");
  }

  const digitsOf = (text) => String(text || "").replace(/\D+/g, "");

  function trigramsOf(text) {
    const grams = new Set();
    for (const word of text.split(" ")) {
      if (!word) continue;
      const padded = ` ${word} `;
      for (let i = 0; i + 3 <= padded.length; i++) {
        grams.add(padded.charCodeAt(i) * 4294967296 + padded.charCodeAt(i + 1) * 65536 + padded.charCodeAt(i + 2));
      }
    }
    return grams;
  }

  function levenshtein(a, b) {
    if (a === b) return 0;
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= b.length; j++) {
        cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      prev = cur;
    }
    return prev[b.length];
  }

  // ------------------------------------------------------------------------------------------
  // Organization page

  async function findEntry(url, firstIds, id, pick) {
    const shard = lastAtMost(firstIds, id);
    if (shard < 0) return null;
    const data = await getJSON(url(shard));
    return pick(data, id);
  }

  function countInFilter(m, st, cells) {
    const T = m.types.length;
    const O = m.offices.length;
    const from = m.years.indexOf(st.from);
    const to = m.years.indexOf(st.to);
    const type = st.type ? m.types.findIndex((t) => t.key === st.type) : null;
    const inRegion = regionTest(m, st);
    const byYear = new Array(m.years.length).fill(0);
    const byType = new Array(T).fill(0);
    const byOffice = new Array(O).fill(0);
    let count = 0;
    for (let i = 0; i < cells.length; i += 2) {
      const cell = cells[i];
      const year = Math.floor(cell / (T * O));
      const t = Math.floor(cell / O) % T;
      const o = cell % O;
      if (year >= from && year <= to && (type === null || t === type) && inRegion(o)) {
        const n = cells[i + 1];
        count += n;
        byYear[year] += n;
        byType[t] += n;
        byOffice[o] += n;
      }
    }
    return { count, byYear: byYear.slice(from, to + 1), byType, byOffice };
  }

  function dynamicRank(hist, count) {
    if (count <= 0) return null;
    let larger = 0;
    for (let i = 0; i < hist.length; i += 2) if (hist[i] > count) larger += hist[i + 1];
    return larger + 1;
  }

  function fact(dl, term, ...value) {
    dl.append(h("div", { class: "fact" }, h("dt", {}, term), h("dd", {}, ...value)));
  }

  function renderFacts(m, role, id, detail, rankEntry, siteIndex) {
    const [, name, licence, status, issued, licenceName, inn, spellings, latest] = detail;
    document.title = `${name} — Открытый реестр экспертиз`;
    $("org-name").textContent = name;
    $("org-role").textContent = ROLE_NAMES[role];
    const dl = $("org-facts");
    dl.replaceChildren();
    if (role === "expert") {
      fact(dl, "Лицензия", licence || "не указана");
      if (licence) fact(dl, "Статус лицензии", status || "нет сведений в реестре лицензий");
      if (issued) fact(dl, "Дата лицензии", new Date(issued).toLocaleDateString("ru-RU"));
      if (licenceName && licenceName !== name) fact(dl, "Наименование в реестре лицензий", licenceName);
    }
    if (inn) fact(dl, "ИНН", inn);
    const total = m.variants[variantOf(m)].records;
    if (rankEntry) {
      fact(dl, "Заключений за всё время", fmt(rankEntry[2]));
      fact(dl, "Доля от всех заключений", pct(rankEntry[2] / total));
      fact(dl, "Место за всё время", `${rankEntry[3]}`);
    } else fact(dl, "Заключений за всё время", "нет действующих заключений");
    fact(dl, "Идентификатор", h("code", {}, id));
    $("org-names").replaceChildren(...spellings.map(([spelling, n]) => h("li", {},
      h("span", {}, spelling), h("span", { class: "muted" }, ` — ${fmt(n)}`))));
    renderLatest(m, role, id, latest, siteIndex);
    renderResolution(role, id, detail[9]);
  }

  /** Which spellings and INNs the id gathers, the evidence per spelling, renames and near-misses. */
  function renderResolution(role, id, res) {
    const keys = $("org-keys");
    const box = $("org-evidence");
    const near = $("org-near");
    $("org-review").setAttribute("href", `review.html?${new URLSearchParams({ role })}`);
    keys.replaceChildren();
    if (!res) {
      box.replaceChildren(h("p", { class: "empty" }, "Сведений об объединении в этой сборке нет."));
      near.replaceChildren();
      return;
    }
    fact(keys, "ИНН в записях", res.inns.length ? res.inns.join(", ") : "не указан");
    const spellings = new Set(res.evidence.map((e) => e[0]));
    fact(keys, "Написаний", fmt(spellings.size));
    if (res.predecessor) fact(keys, "Прежнее наименование", h("a", { href: orgHref(role, res.predecessor[0]), class: "link-predecessor" }, res.predecessor[1]));
    if (res.successor) fact(keys, "Правопреемник", h("a", { href: orgHref(role, res.successor[0]), class: "link-successor" }, res.successor[1]));
    box.replaceChildren(res.evidence.length ? h("div", { class: "table-wrap" }, h("table", { class: "data review-table evidence-table" },
      h("caption", {}, "Написания и основания, по которым они отнесены к организации"),
      h("thead", {}, h("tr", {}, ["Написание", "Записей", "ИНН", "Лицензия", "Основание"]
        .map((x, i) => h("th", { scope: "col", class: i === 1 ? "num" : null }, x)))),
      h("tbody", {}, res.evidence.map(([spelling, n, inn, licence, rule]) => h("tr", {},
        h("th", { scope: "row", class: "spelling" }, spelling || "—"),
        h("td", { class: "num", "data-label": "Записей" }, fmt(n)),
        h("td", { "data-label": "ИНН" }, inn || "—"),
        h("td", { "data-label": "Лицензия" }, licence || "—"),
        h("td", { "data-label": "Основание", class: "rule" }, rule)))))) : h("p", { class: "empty" }, "Написаний нет."));
    if (!res.near.length) {
      near.replaceChildren();
      return;
    }
    const show = (index) => near.replaceChildren(h("h3", {}, "Похожие организации, оставленные отдельно"),
      h("ul", { class: "near" }, res.near.map(([other, name, kind, score]) => h("li", {},
        h("a", { href: orgHref(role, other) }, name),
        h("span", { class: "muted" }, ` — ${viewTitle(index, kind)}, сходство ${scoreText(score)}`)))),
      h("p", { class: "hint" }, h("a", { href: `review.html?${new URLSearchParams({ role, kind: "all" })}` }, "Все близкие пары")));
    getJSON(`${SITE}review/index.json`).then(show, () => show({ views: {}, kinds: {} }));
  }

  const scoreText = (score) => String(score).replace(".", ",");

  function renderLatest(m, role, id, latest, siteIndex) {
    const box = $("org-latest");
    const files = latest.files;
    if (!box) {
      // the list of conclusions under the filter (static/orgs.js) replaced the latest ten
    } else if (!latest.rows.length) {
      box.replaceChildren(h("p", { class: "empty" }, "Заключений нет."));
    } else {
      const officeShort = new Map(m.offices.map((o) => [o.code, o.short]));
      const rows = latest.rows.map(([reg, day, object, office, file, table, row, excluded, verdict]) => h("tr", {},
        h("td", { class: "nowrap" }, h("code", {}, reg)),
        h("td", { class: "nowrap" }, day ? new Date(day).toLocaleDateString("ru-RU") : "—"),
        h("td", {}, object || "—",
          verdict && verdict !== "соответствует" ? h("span", { class: "badge" }, ` вывод: ${verdict}`) : null,
          excluded ? h("span", { class: "badge" }, ` исключено ${new Date(excluded).toLocaleDateString("ru-RU")}`) : null),
        h("td", {}, officeShort.get(office) || office || "—"),
        h("td", { class: "source" }, file === null ? "—" : files[file],
          h("span", { class: "muted" }, `${table ? ` · ${table}` : ""}${row ? ` · строка ${row}` : ""}`))));
      box.replaceChildren(h("div", { class: "table-wrap" }, h("table", { class: "data latest stack" },
        h("caption", { class: "visually-hidden" }, "Последние заключения организации"),
        h("thead", {}, h("tr", {}, ["Рег. номер", "Дата внесения", "Объект экспертизы", "Орган", "Источник: файл · лист · строка"]
          .map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, rows))));
    }
    const column = role === "expert" ? "expert_org_id" : "applicant_id";
    const note = $("org-exports");
    note.replaceChildren(`Все поля всех заключений организации — в выгрузке, поле ${column} = «${id}»: `);
    if (siteIndex.exports) {
      note.append(h("a", { href: "exports/records.csv" }, "records.csv"), ", ",
        h("a", { href: "exports/records.parquet" }, "records.parquet"), " (", h("a", { href: "downloads.html" }, "как отобрать"), ").");
    } else note.append(h("a", { href: "downloads.html" }, "страница «Скачать»"), ".");
    if (role === "expert") feedLink(`feeds/expert/${encodeURIComponent(id)}.xml`, "Новые заключения организации", note);
  }

  /** An organization's Atom feed: a <link rel="alternate"> for feed readers and a visible link. */
  function feedLink(href, title, after) {
    for (const old of document.querySelectorAll("link[data-feed], #org-feed")) old.remove();
    document.head.append(h("link", { rel: "alternate", type: "application/atom+xml", href, title, "data-feed": "" }));
    after.after(h("p", { class: "hint feed-link", id: "org-feed" }, h("a", { href, type: "application/atom+xml" }, `${title} — лента Atom`)));
  }

  function renderOrgFilter(m, st, combo, role, rankEntry, go) {
    const cells = rankEntry ? rankEntry[4] : [];
    const got = countInFilter(m, st, cells);
    const empty = got.count === 0;
    $("view").hidden = empty;
    if (empty) {
      setStatus("status", combo.n === 0 ? "По этому фильтру заключений нет." : "У организации нет заключений по этому фильтру.");
      return;
    }
    setStatus("status", "");
    const rank = dynamicRank(combo.hist[role], got.count);
    $("fig-count").textContent = fmt(got.count);
    $("fig-share").textContent = pct(combo.n ? got.count / combo.n : 0);
    $("fig-rank").textContent = rank ? `${rank} из ${fmt(combo.distinct[role === "expert" ? 0 : 1])}` : "—";
    $("fig-static").textContent = rankEntry ? String(rankEntry[3]) : "—";
    const years = m.years.filter((y) => y >= st.from && y <= st.to);
    const pick = chartPicks(m, st, go);
    columnChart($("chart-year"), { title: "Заключения организации по годам", labels: years.map(String), values: got.byYear, pick: pick.year, hint: HINTS.year });
    donutChart($("chart-type"), { title: "Заключения организации по объектам", ...typeSeries(m, got.byType, pick.type) });
    barList($("chart-region"), {
      title: "Заключения организации по территориальным органам", labels: m.offices.map((o) => o.short), values: got.byOffice,
      keys: m.offices.map((o) => o.key), pick: pick.region, hint: HINTS.region,
    });
  }

  async function orgPage() {
    const q = new URLSearchParams(location.search);
    const role = q.get("role");
    const id = q.get("id");
    if (!ROLE_NAMES[role] || !id) {
      setStatus("org-status", "Организация не указана. Найдите её на странице «Организации».", true);
      return;
    }
    let m;
    let siteIndex;
    let detail;
    let rankEntry;
    try {
      [m, siteIndex] = await Promise.all([getJSON(`${RANK}manifest.json`), getJSON(`${SITE}index.json`)]);
      const v = variantOf(m);
      [detail, rankEntry] = await Promise.all([
        findEntry((k) => `${SITE}org/${role}/${k}.json`, siteIndex.roles[role].first_ids, id, (data, key) => {
          const entry = data.orgs.find((e) => e[0] === key);
          return entry ? [...entry.slice(0, 8), { files: data.files, rows: entry[8] }, entry[9] || null, entry[10] || [], entry[11] || {}] : null;
        }),
        findEntry((k) => `${RANK}${v}/o/${role}/${k}.json`, m.variants[v].orgs[role].first_ids, id,
          (data, key) => data.find((e) => e[0] === key) || null),
      ]);
    } catch (err) {
      setStatus("org-status", `Не удалось загрузить данные: ${err.message}`, true);
      return;
    }
    if (!detail) {
      setStatus("org-status", "Организация не найдена. Возможно, ссылка устарела: найдите её на странице «Организации».", true);
      return;
    }
    renderFacts(m, role, id, detail, rankEntry, siteIndex);
    setStatus("org-status", "");
    $("org-view").hidden = false;
    let ticket = 0;
    let last = null;
    const run = async (st, go) => {
      const mine = ++ticket;
      try {
        const combo = await getJSON(comboUrl(m, st));
        if (mine !== ticket) return;
        last = [st, go];
        const started = performance.now();
        renderOrgFilter(m, st, combo, role, rankEntry, go);
        if (window.openepbOrgRecords) await window.openepbOrgRecords(m, st, role, id, detail[10], countInFilter(m, st, rankEntry ? rankEntry[4] : []).count, detail[11]);
        if (mine !== ticket) return;
        BODY.dataset.renderMs = (performance.now() - started).toFixed(1);
        BODY.dataset.ready = comboUrl(m, st);
        $("back-orgs").setAttribute("href", `orgs.html${stateQuery(m, st)}`);
      } catch (err) {
        setStatus("status", `Не удалось загрузить данные: ${err.message}`, true);
      }
    };
    watchFilters(m, run, () => last && run(...last));
  }

  // ------------------------------------------------------------------------------------------
  // Merge review: ?role=applicant&kind=similar&page=2 (defaults left out: expert, merged, 1)

  const REVIEW_DEFAULT = { role: "expert", kind: "merged", page: 1 };

  function reviewState(index, search) {
    const q = new URLSearchParams(search);
    const st = { ...REVIEW_DEFAULT };
    if (index.roles[q.get("role")]) st.role = q.get("role");
    const views = index.roles[st.role] || {};
    if (views[q.get("kind")]) st.kind = q.get("kind");
    const pages = (views[st.kind] || { pages: 1 }).pages;
    const page = Number(q.get("page"));
    if (Number.isInteger(page) && page >= 1 && page <= pages) st.page = page;
    return st;
  }

  function reviewQuery(st) {
    const q = new URLSearchParams();
    if (st.role !== REVIEW_DEFAULT.role) q.set("role", st.role);
    if (st.kind !== REVIEW_DEFAULT.kind) q.set("kind", st.kind);
    if (st.page !== 1) q.set("page", st.page);
    const text = q.toString();
    return `review.html${text ? `?${text}` : ""}`;
  }

  function viewTitle(index, kind) {
    return index.views[kind] || (index.kinds[kind] ? index.kinds[kind][0] : kind);
  }

  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

  function orgKeys(inn, licence) {
    if (!inn && !licence) return null;
    const parts = [inn ? `ИНН ${inn}` : null, licence ? `лицензия ${licence}` : null].filter(Boolean);
    return h("span", { class: "org-keys" }, parts.join(" · "));
  }

  function mergedTable(role, rows, caption) {
    return h("table", { class: "data review-table", id: "review-table" },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Организация"), h("th", { scope: "col", class: "num" }, "Записей"),
        h("th", { scope: "col" }, "Написания и основания"))),
      h("tbody", {}, rows.map(([id, name, records, spellings, inns, licence, evidence]) => h("tr", {},
        h("th", { scope: "row" }, h("a", { href: orgHref(role, id) }, name), orgKeys(inns.join(", "), licence),
          h("code", { class: "org-id" }, id)),
        h("td", { class: "num", "data-label": "Записей" }, fmt(records)),
        h("td", { "data-label": "Написания и основания" },
          h("ul", { class: "evidence" }, evidence.map(([spelling, n, inn, lic, rule]) => h("li", {},
            h("span", { class: "spelling" }, spelling), " ",
            h("span", { class: "muted" }, `— ${fmt(n)}${inn ? ` · ИНН ${inn}` : ""}${lic ? ` · ${lic}` : ""}`), " ",
            h("span", { class: "rule" }, rule)))),
          spellings > evidence.length ? h("p", { class: "more" },
            h("a", { href: orgHref(role, id) }, `все написания (${fmt(spellings)}) — на странице организации`)) : null)))));
  }

  function pairSide(role, [id, name, inn, licence]) {
    return h("span", { class: "pair-side" }, h("a", { href: orgHref(role, id) }, name), orgKeys(inn, licence),
      h("code", { class: "org-id" }, id));
  }

  function pairsTable(index, role, rows, caption) {
    return h("table", { class: "data review-table", id: "review-table" },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ["Организации", "Вид", "Что различается", "Сходство"]
        .map((x, i) => h("th", { scope: "col", class: i === 3 ? "num" : null }, x)))),
      h("tbody", {}, rows.map(([kind, score, a, b, reason, diffs]) => h("tr", { "data-kind": kind },
        h("th", { scope: "row" }, pairSide(role, a), h("span", { class: "pair-sep", "aria-label": "и" }, "≠"), pairSide(role, b)),
        h("td", { "data-label": "Вид" }, viewTitle(index, kind)),
        h("td", { "data-label": "Что различается" },
          diffs.length ? h("ul", { class: "diffs" }, diffs.map(([what, x, y]) => h("li", {},
            h("strong", {}, `${what}:`), ` ${x} ≠ ${y}`))) : h("span", { class: "muted" }, "ничего, кроме написания"),
          h("p", { class: "hint" }, reason)),
        h("td", { class: "num", "data-label": "Сходство" }, scoreText(score))))));
  }

  function pagerLink(st, page, label, rel) {
    return h("a", { href: reviewQuery({ ...st, page }), rel, "data-page": page }, label);
  }

  async function reviewPage() {
    let index;
    try {
      index = await getJSON(`${SITE}review/index.json`);
    } catch (err) {
      setStatus("review-status", `Не удалось загрузить данные: ${err.message}`, true);
      return;
    }
    const roleSelect = $("r-role");
    const kindSelect = $("r-kind");
    const view = $("review-view");
    $("review-form").hidden = false;
    let st = reviewState(index, location.search);
    let ticket = 0;

    function fillKinds() {
      const views = index.roles[st.role] || {};
      const options = Object.keys(index.views).map((v) => option(v, `${index.views[v]} (${fmt((views[v] || { rows: 0 }).rows)})`, v === st.kind));
      for (const kind of Object.keys(views)) {
        if (index.views[kind]) continue;
        options.push(option(kind, `— ${viewTitle(index, kind)} (${fmt(views[kind].rows)})`, kind === st.kind));
      }
      kindSelect.replaceChildren(...options);
      roleSelect.value = st.role;
    }

    async function render() {
      const mine = ++ticket;
      fillKinds();
      const info = (index.roles[st.role] || {})[st.kind] || { rows: 0, pages: 1 };
      const what = `${capital(index.role_titles[st.role] || st.role)}: ${viewTitle(index, st.kind)}`;
      $("review-summary").textContent = `${capital(index.role_titles[st.role] || st.role)} · ${viewTitle(index, st.kind)}${info.pages > 1 ? ` · страница ${st.page} из ${info.pages}` : ""}`;
      let rows = [];
      if (info.rows) {
        setStatus("review-status", "Загрузка данных…");
        try {
          rows = await getJSON(`${SITE}review/${st.role}/${st.kind}/${st.page}.json`);
        } catch (err) {
          if (mine === ticket) setStatus("review-status", `Не удалось загрузить данные: ${err.message}`, true);
          return;
        }
        if (mine !== ticket) return;
      }
      setStatus("review-status", "");
      $("review-title").textContent = what;
      const note = st.kind === "merged"
        ? "Организации, собранные из нескольких написаний, — больше всего записей сверху. У каждого написания — число записей и основание, по которому оно отнесено к организации."
        : st.kind === "all" ? "Пары организаций, оставленные раздельно, — самые похожие сверху. Ничего из этого не объединено."
          : `${capital(index.kinds[st.kind] ? index.kinds[st.kind][1] : st.kind)}. Ничего из этого не объединено.`;
      $("review-note").textContent = note;
      const caption = `${what}, страница ${st.page} из ${info.pages}`;
      const box = $("review-table-box");
      if (!rows.length) {
        box.replaceChildren(h("p", { class: "empty", id: "review-empty" }, st.kind === "merged"
          ? "Организаций с несколькими написаниями нет." : "Близких пар этого вида нет."));
      } else box.replaceChildren(st.kind === "merged" ? mergedTable(st.role, rows, caption) : pairsTable(index, st.role, rows, caption));
      const pager = $("review-pager");
      pager.hidden = info.pages < 2;
      pager.replaceChildren(
        st.page > 1 ? pagerLink(st, 1, "« Первая", null) : null,
        st.page > 1 ? pagerLink(st, st.page - 1, "← Предыдущая", "prev") : null,
        h("span", { class: "pager-at", "aria-current": "page" }, `Страница ${st.page} из ${info.pages}`),
        st.page < info.pages ? pagerLink(st, st.page + 1, "Следующая →", "next") : null,
        st.page < info.pages ? pagerLink(st, info.pages, "Последняя »", null) : null);
      view.dataset.role = st.role;
      view.dataset.kind = st.kind;
      view.dataset.page = st.page;
      BODY.dataset.ready = `${st.role}/${st.kind}/${st.page}`;
    }

    function go(next, focus) {
      st = next;
      history.pushState(null, "", `${reviewQuery(st)}${location.hash}`);
      render().then(() => focus && focus.focus());
    }

    roleSelect.addEventListener("change", () => {
      const role = roleSelect.value;
      const views = index.roles[role] || {};
      go({ role, kind: views[st.kind] ? st.kind : REVIEW_DEFAULT.kind, page: 1 }, roleSelect);
    });
    kindSelect.addEventListener("change", () => go({ ...st, kind: kindSelect.value, page: 1 }, kindSelect));
    $("review-pager").addEventListener("click", (event) => {
      const link = event.target.closest("a[data-page]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      go({ ...st, page: Number(link.dataset.page) }, $("review-title"));
    });
    window.addEventListener("popstate", () => {
      st = reviewState(index, location.search);
      render();
    });
    render();
  }

  // ------------------------------------------------------------------------------------------
  // TOP-30 by year with movement

  function movement(rank, prev) {
    if (!prev) return h("span", { class: "move new" }, "нов.");
    const diff = prev[0] - rank;
    if (diff > 0) return h("span", { class: "move up" }, h("span", { "aria-hidden": "true" }, `↑${diff}`), h("span", { class: "visually-hidden" }, `поднялась на ${diff}`));
    if (diff < 0) return h("span", { class: "move down" }, h("span", { "aria-hidden": "true" }, `↓${-diff}`), h("span", { class: "visually-hidden" }, `опустилась на ${-diff}`));
    return h("span", { class: "move same" }, h("span", { "aria-hidden": "true" }, "="), h("span", { class: "visually-hidden" }, "без изменений"));
  }

  function yearTable(table, k, typeName) {
    const year = table.years[k];
    const rows = table.top[k];
    const earlier = table.years.slice(0, k);
    const section = h("section", { class: "card year-card", "aria-labelledby": `h-y${year}` },
      h("h2", { id: `h-y${year}` }, `${year} год`));
    if (!rows.length) {
      section.append(h("p", { class: "empty" }, "В этом году заключений нет."));
      return section;
    }
    const head = [h("th", { scope: "col", class: "num" }, "Место"), h("th", { scope: "col" }, "Движение"),
      h("th", { scope: "col" }, "Организация"), h("th", { scope: "col", class: "num" }, countHead()),
      ...earlier.map((y, j) => h("th", { scope: "col", class: j < k - 1 ? "num past-old" : "num" }, `Место в ${y}`))];
    const body = rows.map(([id, name, count, rank, before]) => h("tr", {},
      h("td", { class: "num rank" }, String(rank)),
      h("td", {}, k ? movement(rank, before[before.length - 1]) : "—"),
      h("td", { class: "name" }, h("a", { href: orgHref("expert", id) }, name)),
      h("td", { class: "num" }, fmt(count)),
      ...before.map((p, j) => h("td", { class: j < k - 1 ? "num muted-cell past-old" : "num muted-cell", title: p ? `${fmt(p[1])} заключений` : null }, p ? String(p[0]) : "—"))));
    if (k > 1) section.append(h("p", { class: "hint phone-only" }, `На телефоне показано место только в ${earlier[k - 1]} году; все годы — на широком экране.`));
    section.append(h("div", { class: "table-wrap" }, h("table", { class: "data ranking" },
      h("caption", { class: "visually-hidden" }, `ТОП по числу заключений за ${year} год: ${typeName}`),
      h("thead", {}, h("tr", {}, head)), h("tbody", {}, body))));
    return section;
  }

  async function topPage() {
    const m = await loadManifest();
    if (!m) return;
    const select = $("f-type");
    const asked = new URLSearchParams(location.search).get("type");
    if (asked && !m.types.some((t) => t.key === asked)) {
      correctAddress([`type=${asked}`], "", select.closest("form") || select);
    }
    const read = () => {
      const type = new URLSearchParams(location.search).get("type");
      return m.types.some((t) => t.key === type) ? type : null;
    };
    const render = async (type) => {
      select.replaceChildren(option("", "Все объекты", !type), ...m.types.map((t) => option(t.key, `${t.code} — ${t.name}`, t.key === type)));
      const t = m.types.find((x) => x.key === type);
      const typeName = t ? `${t.code} — ${t.name}` : "все объекты экспертизы";
      $("filter-summary").textContent = typeName;
      try {
        const table = await getJSON(`${RANK}${variantOf(m)}/m/expert/${type || "all"}.json`);
        const view = $("view");
        const sections = table.years.map((_, k) => yearTable(table, k, typeName)).reverse();
        view.replaceChildren(...sections);
        const k = table.top.map((rows) => rows.length > 0).lastIndexOf(true);
        if (k > 0) {
          const box = h("div", { class: "chart", id: "chart-rank" });
          view.prepend(h("section", { class: "card card-wide", "aria-labelledby": "h-rank" },
            h("h2", { id: "h-rank" }, `Места по годам: ТОП-${m.top_n} ${table.years[k]} года`), box));
          rankChart(box, {
            title: `Места по годам организаций ТОП-${m.top_n} ${table.years[k]} года: ${typeName}`,
            years: table.years.slice(0, k + 1), cut: m.top_n,
            series: table.top[k].map(([, name, , rank, before]) => ({ name, ranks: [...before.map((p) => (p ? p[0] : null)), rank] })),
          });
        }
        const any = table.top.some((r) => r.length);
        view.hidden = !any;
        setStatus("status", any ? "" : "По этому объекту экспертизы заключений нет.");
        BODY.dataset.ready = type || "all";
      } catch (err) {
        setStatus("status", `Не удалось загрузить данные: ${err.message}`, true);
      }
    };
    select.addEventListener("change", () => {
      const type = select.value || null;
      history.pushState(null, "", `${location.pathname}${type ? `?type=${encodeURIComponent(type)}` : ""}`);
      render(type).then(() => select.focus());
    });
    $("f-reset").addEventListener("click", () => {
      history.pushState(null, "", location.pathname);
      render(null);
    });
    window.addEventListener("popstate", () => render(read()));
    if (read()) $("view").hidden = true; // the built page holds the default view only
    setStatus("status", "Загрузка данных…");
    render(read());
  }

  // ------------------------------------------------------------------------------------------

  const PAGES = {
    "index.html": () => analyticPage(renderPulse),
    // «Организации» and the organization's list of conclusions: static/orgs.js, with the helpers below.
    "org.html": orgPage,
    "top.html": topPage,
    "review.html": reviewPage,
  };
  // ------------------------------------------------------------------------------------------
  // Wide tables: on a phone a table.stack shows each row as a card (every cell under its column
  // name, copied here into data-label); a table that is still wider than its box scrolls inside a
  // .table-wrap, which then becomes a labelled, keyboard-focusable region with a shadow on the cut edge.

  function labelCells(table) {
    const head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    const names = Array.from(head.cells, (th) => th.textContent.trim());
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        Array.from(row.cells).forEach((cell, i) => {
          if (!cell.hasAttribute("data-label") && names[i] && cell.colSpan === 1) cell.dataset.label = names[i];
        });
      }
    }
  }

  function markScrolling(wrap) {
    const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    wrap.classList.toggle("scrolls", scrolls);
    if (scrolls) {
      const table = wrap.querySelector("table");
      const caption = table && table.caption ? table.caption.textContent.trim() : "Таблица";
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", `${caption} (прокручивается вбок)`);
    } else if (wrap.getAttribute("role") === "region") {
      wrap.removeAttribute("tabindex");
      wrap.removeAttribute("role");
      wrap.removeAttribute("aria-label");
    }
  }

  function tidyTables() {
    for (const table of document.querySelectorAll("table.stack")) labelCells(table);
    for (const wrap of document.querySelectorAll(".table-wrap")) markScrolling(wrap);
  }

  let tidyQueued = false;
  const queueTidy = () => {
    if (tidyQueued) return;
    tidyQueued = true;
    requestAnimationFrame(() => {
      tidyQueued = false;
      tidyTables();
    });
  };
  new MutationObserver(queueTidy).observe(BODY, { childList: true, subtree: true });
  window.addEventListener("resize", queueTidy);
  document.addEventListener("toggle", queueTidy, true);
  tidyTables();

  window.openepb = {
    normalizeName, levenshtein, parseState, stateQuery, reviewState, reviewQuery,
    getJSON, h, $, fmt, pct, setStatus, setupFilters, comboUrl, describeState, regionTest, orgHref, variantOf,
    RANK, SITE, BODY,
  };
  const start = PAGES[BODY.dataset.page];
  if (start) start();
})();
