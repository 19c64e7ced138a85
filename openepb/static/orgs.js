/* «Организации»: every organization of a role under the filter, paged, sorted, searched, as CSV; and an
   organization's own conclusions under the filter. Reads data/site/list/ and data/site/orgrec/
   (docs/site.md) with the helpers of app.js (window.openepb). Strings from the data are only ever set
   through textContent or attributes. */
"use strict";

(() => {
  const O = window.openepb;
  if (!O) return;
  const { getJSON, h, $, fmt, pct, setStatus, BODY, SITE } = O;
  const ROLE_TITLES = { expert: "экспертные организации", applicant: "заявители" };
  const SORTS = {
    count: "по числу заключений", rank: "по месту по фильтру", share: "по доле",
    static: "по месту за всё время", name: "по наименованию",
  };
  const ORG_PAGE = 50;

  // ------------------------------------------------------------------------------------------
  // Words of a search, as openepb.publish.search.words makes them

  const LOOKALIKE = { a: "а", b: "в", c: "с", e: "е", h: "н", k: "к", m: "м", o: "о", p: "р", t: "т", x: "х", y: "у" };
  const STOP = new Set("и в во на по с со для от к о об из до за при а".split(" "));
  const fold = (text) => String(text || "").toLowerCase().replace(/ё/g, "е");
  function fixWord(word) {
    if (/[а-я]/.test(word) || (/[a-z]/.test(word) && /^[abcehkmoptxy0-9]+$/.test(word))) {
      word = word.replace(/[abcehkmoptxy]/g, (c) => LOOKALIKE[c]);
    }
    return word.slice(0, 24);
  }
  function words(text) {
    const out = [];
    for (const raw of fold(text).match(/[0-9a-zа-я]+/g) || []) {
      const word = fixWord(raw);
      if (word.length >= 2 && !STOP.has(word)) out.push(word);
    }
    return [...new Set(out)];
  }

  // ------------------------------------------------------------------------------------------
  // CSV

  function csvCell(value) {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  function download(name, header, rows) {
    const text = `\ufeff${[header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n")}\r\n`;
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    const a = h("a", { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  /** Run async jobs at most `limit` at a time. */
  async function pool(items, limit, job) {
    const out = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await job(items[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return out;
  }

  function pagerNav(nav, page, pages, href, go) {
    nav.replaceChildren();
    nav.hidden = pages < 2;
    if (pages < 2) return;
    const link = (p, label, rel) => {
      const a = h("a", { href: href(p), "data-page": p, rel }, label);
      a.addEventListener("click", (event) => {
        event.preventDefault();
        go(p);
      });
      return a;
    };
    if (page > 1) nav.append(link(page - 1, "← Назад", "prev"));
    const shown = new Set([1, pages, page - 2, page - 1, page, page + 1, page + 2].filter((p) => p >= 1 && p <= pages));
    let prev = 0;
    for (const p of [...shown].sort((a, b) => a - b)) {
      if (p - prev > 1) nav.append(h("span", { class: "pager-gap" }, "…"));
      nav.append(p === page ? h("span", { "aria-current": "page" }, String(p)) : link(p, String(p)));
      prev = p;
    }
    if (page < pages) nav.append(link(page + 1, "Вперёд →", "next"));
  }

  // ------------------------------------------------------------------------------------------
  // «Организации»

  function listState(search) {
    const q = new URLSearchParams(search);
    const role = ROLE_TITLES[q.get("role")] ? q.get("role") : "expert";
    const sort = SORTS[q.get("sort")] ? q.get("sort") : "count";
    const page = Math.max(1, Math.floor(Number(q.get("page"))) || 1);
    return { role, sort, dir: q.get("dir") === "rev" ? "rev" : "", q: (q.get("q") || "").trim(), page };
  }

  function listExtra(ls) {
    const extra = {};
    if (ls.role !== "expert") extra.role = ls.role;
    if (ls.q) extra.q = ls.q;
    if (ls.sort !== "count") extra.sort = ls.sort;
    if (ls.dir) extra.dir = ls.dir;
    if (ls.page > 1) extra.page = ls.page;
    return extra;
  }

  async function orgsPage() {
    let m;
    let index;
    try {
      [m, index] = await Promise.all([getJSON(`${O.RANK}manifest.json`), getJSON(`${SITE}list/index.json`)]);
    } catch (err) {
      setStatus("o-status", `Не удалось загрузить данные: ${err.message}`, true);
      return;
    }
    const base = `${SITE}list/`;
    const form = { role: $("o-role"), q: $("o-q"), sort: $("o-sort"), dir: $("o-dir") };
    let ls = listState(location.search);
    let filter = null;
    let ticket = 0;
    const csvButton = $("o-csv");
    csvButton.hidden = false;

    const urlOf = (st, l) => `orgs.html${O.stateQuery(m, st, listExtra(l))}`;
    const syncForm = () => {
      form.role.value = ls.role;
      if (document.activeElement !== form.q) form.q.value = ls.q;
      form.sort.value = ls.sort;
      form.dir.value = ls.dir;
    };

    /** Organizations under the filter: one file per view, {rows: [[idx, count], …], hist: Map(name block → organizations)}. */
    async function viewRows(role, st, combo) {
      const region = st.office || st.district || "all";
      const [deltas, values, blockDeltas, perBlock] = combo.n
        ? await getJSON(`${base}${role}/y/${st.from}-${st.to}/${st.type || "all"}/${region}.json`).catch(() => [[], [], [], []])
        : [[], [], [], []];
      const rows = [];
      let idx = 0;
      for (let i = 0; i < deltas.length; i++) rows.push([(idx += deltas[i]), values[i]]);
      const hist = new Map();
      let b = 0;
      for (let i = 0; i < blockDeltas.length; i++) hist.set((b += blockDeltas[i]), perBlock[i]);
      return { rows, hist };
    }

    const viewCache = new Map();
    function loadView(role, st, combo) {
      const key = `${role}|${O.comboUrl(m, st)}`;
      if (!viewCache.has(key)) {
        const promise = viewRows(role, st, combo).then((view) => {
          const { rows } = view;
          rows.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
          let rank = 0;
          rows.forEach((row, i) => {
            if (i === 0 || rows[i - 1][1] !== row[1]) rank = i + 1;
            row.push(rank);
          });
          return view; // rows: [idx, count, dynamic rank], count order
        });
        viewCache.set(key, promise);
        promise.catch(() => viewCache.delete(key));
      }
      return viewCache.get(key);
    }

    const shardOf = (role, token) => {
      const split = new Set(index.roles[role].split);
      let prefix = token.slice(0, index.q_prefix);
      while (split.has(prefix)) {
        if (token.length <= prefix.length) return `${prefix}_`;
        prefix = token.slice(0, prefix.length + 1);
      }
      return prefix;
    };

    /** idx of the organizations whose words (or INN) start with every word of the query. */
    async function searchIdx(role, query) {
      const common = new Set(index.roles[role].common);
      const terms = words(query).filter((t) => !common.has(t));
      if (!terms.length) return null;
      let found = null;
      for (const term of terms) {
        const shard = await getJSON(`${base}${role}/q/${encodeURIComponent(shardOf(role, term))}.json`).catch(() => ({}));
        const hits = new Set();
        for (const [token, deltas] of Object.entries(shard)) {
          if (!token.startsWith(term)) continue;
          let idx = 0;
          for (const d of deltas) hits.add((idx += d));
        }
        found = found === null ? hits : new Set([...found].filter((i) => hits.has(i)));
        if (!found.size) break;
      }
      return found;
    }

    const everything = (st) => st.from === m.years[0] && st.to === m.years[m.years.length - 1] && !st.type && !st.district && !st.office;

    /** The view of everything without a query: pages are idx ranges (count order = static order). */
    async function everythingPage(role, l, from, to) {
      const count = index.roles[role].count;
      if (l.sort === "name") return [count, null];
      const rev = l.dir === "rev";
      const idxs = [];
      for (let k = from; k < Math.min(to, count); k++) idxs.push(rev ? count - 1 - k : k);
      const byIdx = await names(role, idxs);
      return [count, idxs.map((i) => {
        const entry = byIdx.get(i);
        return [[i, entry[3], entry[4]], entry];
      })];
    }

    async function ordered(role, st, combo, l) {
      const view = await loadView(role, st, combo);
      let { rows } = view;
      let exact = true; // the histogram counts exactly these rows
      if (l.q) {
        const hits = await searchIdx(role, l.q);
        if (hits !== null) {
          rows = rows.filter((r) => hits.has(r[0]));
          exact = false;
        }
      }
      rows = rows.slice();
      if (l.sort === "static") rows.sort((a, b) => a[0] - b[0]);
      if (l.dir === "rev" && l.sort !== "name") rows.reverse();
      return { rows, hist: view.hist, exact }; // in name order: see byName
    }

    /** Rows [from, to) of the view in name order: read the name-order blocks that hold organizations of
        the view (backwards for «обратное»), from the block of the page's first row on (the view's
        histogram says how many of its organizations each block holds), keeping the view's organizations;
        returns the rows with their name-block entries. `view` is null for the view of everything. */
    async function byName(role, view, l, from, to) {
      const inView = view ? new Map(view.rows.map((r) => [r[0], r])) : null;
      const total = index.roles[role].blocks;
      const rev = l.dir === "rev";
      let order;
      if (view) order = [...view.hist.keys()].sort((a, b) => (rev ? b - a : a - b));
      else order = Array.from({ length: total }, (_, k) => (rev ? total - 1 - k : k));
      const per = (b) => (view ? view.hist.get(b) : Math.min(index.block, index.roles[role].count - b * index.block));
      const out = [];
      let seen = 0;
      let k0 = 0;
      if (!view || view.exact) {
        // every block's count in the view is known: skip the blocks before the page
        while (k0 < order.length && seen + per(order[k0]) <= from) seen += per(order[k0++]);
      }
      for (let k = k0; k < order.length && out.length < to - from; k++) {
        const b = order[k];
        const block = await getJSON(`${base}${role}/b/${b}.json`);
        const entries = rev ? block.slice().reverse() : block;
        for (const entry of entries) {
          const row = inView ? inView.get(entry[0]) : [entry[0], entry[4], entry[5]];
          if (!row) continue;
          if (seen >= from && out.length < to - from) out.push([row, entry.slice(1)]);
          seen++;
        }
      }
      return out;
    }

    async function names(role, idxs) {
      const blocks = [...new Set(idxs.map((i) => Math.floor(i / index.block)))];
      const got = await pool(blocks, 6, (b) => getJSON(`${base}${role}/n/${b}.json`));
      const byIdx = new Map();
      blocks.forEach((b, k) => got[k].forEach((row, j) => byIdx.set(b * index.block + j, row)));
      return byIdx;
    }

    function table(st, role, rows) {
      const caption = `${ROLE_TITLES[role][0].toUpperCase()}${ROLE_TITLES[role].slice(1)} по фильтру`;
      return h("div", { class: "table-wrap" }, h("table", { class: "data review-table org-list" },
        h("caption", { class: "visually-hidden" }, caption),
        h("thead", {}, h("tr", {}, ["Место по фильтру", "Организация", "Заключений", "Доля", "Место за всё время"]
          .map((x, i) => h("th", { scope: "col", class: i === 1 ? null : "num" }, x)))),
        h("tbody", {}, rows.map(({ id, name, inn, count, rank, share, staticRank }) => h("tr", { "data-id": id },
          h("td", { class: "num rank", "data-label": "Место по фильтру" }, String(rank)),
          h("th", { scope: "row", class: "name" }, h("a", { href: O.orgHref(role, id, m, st) }, name),
            inn ? h("span", { class: "org-keys" }, `ИНН ${inn}`) : null),
          h("td", { class: "num", "data-label": "Заключений" }, fmt(count)),
          h("td", { class: "num", "data-label": "Доля" }, pct(share)),
          h("td", { class: "num", "data-label": "Место за всё время" }, String(staticRank)))))));
    }

    async function render(st, push) {
      const mine = ++ticket;
      filter = st;
      syncForm();
      const l = ls;
      const url = urlOf(st, l);
      if (push === "push") history.pushState(null, "", url);
      else if (push === "replace") history.replaceState(null, "", url);
      try {
        const combo = await getJSON(O.comboUrl(m, st));
        if (mine !== ticket) return;
        const total = combo.distinct[m.distinct.indexOf(l.role)];
        const per = m.top_n;
        let shown;
        let count;
        if (l.sort === "count" && !l.dir && !l.q && l.page === 1) {
          // the first page of the count order is the combination's TOP-N: one small file
          count = total;
          const top = combo.top[l.role].slice(0, per);
          shown = top.map(([id, name, n, rank, share, staticRank]) => ({ id, name, inn: null, count: n, rank, share, staticRank }));
        } else {
          const fast = everything(st) && !l.q;
          const view = fast ? null : await ordered(l.role, st, combo, l);
          if (mine !== ticket) return;
          const rows = view && view.rows;
          count = fast ? index.roles[l.role].count : rows.length;
          const pages = Math.max(1, Math.ceil(count / per));
          if (l.page > pages) l.page = pages;
          let pairs;
          if (l.sort === "name" && fast) pairs = await byName(l.role, null, l, (l.page - 1) * per, l.page * per);
          else if (fast) pairs = (await everythingPage(l.role, l, (l.page - 1) * per, l.page * per))[1];
          else if (l.sort === "name") pairs = await byName(l.role, view, l, (l.page - 1) * per, l.page * per);
          else {
            const slice = rows.slice((l.page - 1) * per, l.page * per);
            const byIdx = await names(l.role, slice.map((r) => r[0]));
            pairs = slice.map((r) => [r, byIdx.get(r[0])]);
          }
          if (mine !== ticket) return;
          shown = pairs.map(([[, n, rank], [id, name, inn, , staticRank]]) => (
            { id, name, inn, count: n, rank, share: combo.n ? n / combo.n : 0, staticRank }));
        }
        const pages = Math.max(1, Math.ceil(count / per));
        const what = `${ROLE_TITLES[l.role]}, ${O.describeState(m, st)}`;
        if (!count) {
          $("o-list").replaceChildren(h("p", { class: "empty" }, l.q ? "По этому запросу в списке никого нет." : "По этому фильтру организаций нет."));
          setStatus("o-status", `${what}: ${l.q ? `по запросу «${l.q}» ничего не найдено` : "заключений нет"}.`);
        } else {
          $("o-list").replaceChildren(table(st, l.role, shown));
          const from = (l.page - 1) * per + 1;
          setStatus("o-status", `${what}: ${fmt(count)} ${l.q ? `найдено по запросу «${l.q}»` : "организаций"}, ${fmt(combo.n)} заключений; показаны ${fmt(from)}–${fmt(from + shown.length - 1)}, ${SORTS[l.sort]}${l.dir ? " (обратный порядок)" : ""}.`);
        }
        pagerNav($("o-pager"), l.page, pages, (p) => urlOf(st, { ...l, page: p }), (p) => {
          ls = { ...ls, page: p };
          render(filter, "push").then(() => $("o-list").focus && $("o-status").scrollIntoView({ block: "nearest" }));
        });
        BODY.dataset.ready = O.comboUrl(m, st);
        BODY.dataset.listReady = url;
      } catch (err) {
        if (mine === ticket) setStatus("o-status", `Не удалось загрузить данные: ${err.message}`, true);
      }
    }

    async function csv() {
      const st = filter;
      const l = ls;
      setStatus("o-csv-status", "Собираем список…");
      try {
        const combo = await getJSON(O.comboUrl(m, st));
        const view = await ordered(l.role, st, combo, l);
        const { rows } = view;
        let pairs;
        if (l.sort === "name") pairs = await byName(l.role, view, l, 0, rows.length);
        else {
          const byIdx = await names(l.role, rows.map((r) => r[0]));
          pairs = rows.map((r) => [r, byIdx.get(r[0])]);
        }
        const out = pairs.map(([[, n, rank], [id, name, inn, staticCount, staticRank]]) => (
          [rank, name, inn, n, combo.n ? (n / combo.n).toFixed(6) : 0, staticRank, staticCount, id]));
        const stem = `organizations-${l.role}-${st.from}-${st.to}-${st.type || "all"}-${st.office || st.district || "all"}`;
        download(`${stem}.csv`, ["место_по_фильтру", "наименование", "инн", "заключений_по_фильтру", "доля", "место_за_всё_время", "заключений_за_всё_время", "идентификатор"], out);
        setStatus("o-csv-status", `В файле ${fmt(out.length)} строк.`);
      } catch (err) {
        setStatus("o-csv-status", `Не удалось собрать CSV: ${err.message}`, true);
      }
    }

    let typing = 0;
    form.q.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => {
        ls = { ...ls, q: form.q.value.trim(), page: 1 };
        render(filter, "replace");
      }, 150);
    });
    for (const key of ["role", "sort", "dir"]) {
      form[key].addEventListener("change", () => {
        ls = { ...ls, [key]: form[key].value, page: 1 };
        render(filter, "push");
      });
    }
    $("o-form").addEventListener("submit", (event) => event.preventDefault());
    csvButton.addEventListener("click", csv);
    // Filter changes come from app.js (pushState of the filter, keeping role, q, sort, dir; page back to 1).
    O.setupFilters(m, (st) => {
      ls = listState(location.search);
      render(st, null);
    }, {});
  }

  // ------------------------------------------------------------------------------------------
  // An organization's conclusions under the filter (org.html), called by app.js on every filter

  const orgState = { role: null, id: null };

  async function orgRecords(m, st, role, id, pieces, expected, officePieces = {}) {
    const box = $("org-records");
    const nav = $("org-pager");
    const csvButton = $("org-csv");
    if (!box) return;
    const index = await getJSON(`${SITE}list/index.json`);
    const T = m.types.length;
    const Ofs = m.offices.length;
    const from = m.years.indexOf(st.from);
    const to = m.years.indexOf(st.to);
    const type = st.type ? m.types.findIndex((t) => t.key === st.type) : null;
    const inRegion = O.regionTest(m, st);
    const keep = (cell) => {
      const year = Math.floor(cell / (T * Ofs));
      const t = Math.floor(cell / Ofs) % T;
      return year >= from && year <= to && (type === null || t === type) && inRegion(cell % Ofs);
    };
    // A large organization's conclusions are also cut per office: under an office, read only its pieces.
    const office = st.office ? m.offices.findIndex((o) => o.key === st.office) : -1;
    const byOffice = office >= 0 && Object.keys(officePieces || {}).length > 0;
    const own = byOffice ? officePieces[office] || [] : pieces;
    const relevant = own.map((p, k) => [...p, k]).filter(([, first, last]) => last >= st.from && first <= st.to);
    const pieceRows = async ([file, , , , , , , k]) => {
      const data = await getJSON(`${SITE}orgrec/${role}/${byOffice ? "o/" : ""}${file}.json`);
      return data[byOffice ? `${id}@${office}#${k}` : `${id}#${k}`] || [];
    };
    // A piece inside the filter's years is counted from the entry (all its rows, or its rows of the type,
    // of the district or of both) and read only if the page needs its rows; not so under an office without
    // its own pieces.
    const district = st.district ? m.districts.findIndex((d) => d.key === st.district) : -1;
    const region = byOffice ? null : st.office ? "office" : district >= 0 ? "district" : null;
    const known = ([, first, last, n, perType, perDistrict, pairs]) => {
      if (first < st.from || last > st.to || region === "office") return null;
      if (region && type !== null) {
        if (!pairs) return null;
        const pair = pairs.find(([a, b]) => a === type && b === district);
        return pair ? pair[2] : 0;
      }
      if (type !== null) return perType[type];
      return region ? perDistrict[district] : n;
    };
    /** Rows [start, end) under the filter, newest first, reading pieces in order. */
    async function filtered(start, end) {
      const out = [];
      let seen = 0;
      for (const piece of relevant) {
        if (seen >= end) break;
        const n = known(piece);
        if (n !== null && seen + n <= start) {
          seen += n;
          continue;
        }
        for (const row of await pieceRows(piece)) {
          if (!keep(row[2])) continue;
          if (seen >= start && seen < end) out.push(row);
          seen++;
        }
      }
      return out;
    }
    const q = new URLSearchParams(location.search);
    const pages = Math.max(1, Math.ceil(expected / ORG_PAGE));
    const page = Math.min(pages, Math.max(1, Math.floor(Number(q.get("page"))) || 1));
    const officeShort = m.offices.map((o) => o.short);
    const verdictOf = (code) => (typeof code === "number" ? index.verdicts[code] : code);
    const describe = (row) => {
      const cell = row[2];
      const t = Math.floor(cell / Ofs) % T;
      return { reg: row[0], day: row[1], type: m.types[t].code, office: officeShort[cell % Ofs], verdict: verdictOf(row[3]) };
    };
    const rows = (await filtered((page - 1) * ORG_PAGE, page * ORG_PAGE)).map(describe);
    if (!rows.length) {
      box.replaceChildren(h("p", { class: "empty" }, "По этому фильтру заключений нет."));
    } else {
      box.replaceChildren(h("div", { class: "table-wrap" }, h("table", { class: "data review-table org-records" },
        h("caption", { class: "visually-hidden" }, "Заключения организации по фильтру, новые первыми"),
        h("thead", {}, h("tr", {}, ["Рег. номер", "Дата внесения", "Объект", "Орган", "Вывод"].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, rows.map((r) => h("tr", {},
          h("th", { scope: "row", class: "nowrap" }, h("a", { href: `conclusion.html?n=${encodeURIComponent(r.reg)}` }, r.reg)),
          h("td", { class: "nowrap", "data-label": "Дата внесения" }, r.day ? new Date(r.day).toLocaleDateString("ru-RU") : "—"),
          h("td", { "data-label": "Объект" }, r.type),
          h("td", { "data-label": "Орган" }, r.office || "—"),
          h("td", { "data-label": "Вывод", class: r.verdict && r.verdict !== "соответствует" ? "verdict-bad" : null }, r.verdict || "—")))))));
    }
    const first = (page - 1) * ORG_PAGE + 1;
    setStatus("org-rec-status", expected ? `Заключений по фильтру: ${fmt(expected)}; показаны ${fmt(first)}–${fmt(first + rows.length - 1)}, новые первыми.` : "");
    const hrefOf = (p) => `org.html${O.stateQuery(m, st, { role, id, ...(p > 1 ? { page: p } : {}) })}`;
    pagerNav(nav, page, pages, hrefOf, (p) => {
      history.pushState(null, "", hrefOf(p));
      orgRecords(m, st, role, id, pieces, expected, officePieces).then(() => { BODY.dataset.recordsReady = hrefOf(p); });
    });
    csvButton.hidden = !expected;
    orgState.args = [m, st, role, id, relevant, filtered, describe];
    if (!orgState.wired) {
      orgState.wired = true;
      csvButton.addEventListener("click", async () => {
        const [m2, st2, role2, id2, , filtered2, describe2] = orgState.args;
        setStatus("org-csv-status", "Собираем заключения…");
        try {
          const all = (await filtered2(0, Infinity)).map(describe2);
          const stem = `conclusions-${role2}-${id2}-${st2.from}-${st2.to}-${st2.type || "all"}-${st2.office || st2.district || "all"}`;
          download(`${stem}.csv`, ["reg_number", "date_registered", "object_type", "office", "conclusion_result"],
            all.map((r) => [r.reg, r.day, r.type, r.office, r.verdict]));
          setStatus("org-csv-status", `В файле ${fmt(all.length)} строк.`);
        } catch (err) {
          setStatus("org-csv-status", `Не удалось собрать CSV: ${err.message}`, true);
        }
        void m2;
      });
    }
    BODY.dataset.recordsReady = hrefOf(page);
  }

  window.openepbOrgRecords = orgRecords;
  if (BODY.dataset.page === "orgs.html") orgsPage();
})();
