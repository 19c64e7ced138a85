/* Поиск заключений: the static index under data/search/ (docs/search.md), fetched shard by shard.
   The token rules mirror openepb/publish/search.py; tests hold both to the same truth. */
"use strict";

(() => {
  const S = window.openepbSite;
  const { h, $, fmt, setStatus, getJSON, levenshtein } = S;
  const BODY = document.body;
  const BASE = "data/search/";
  const RANK = BODY.dataset.rank || "data/rank/";
  const PAGE = 20;
  const MAX_PREFIX_ALTS = 40;
  const MAX_FUZZY_ALTS = 12;

  // ------------------------------------------------------------------------------------------
  // Normalisation (mirror of openepb/publish/search.py)

  const LOOKALIKE = { a: "а", b: "в", c: "с", e: "е", h: "н", k: "к", m: "м", o: "о", p: "р", t: "т", x: "х", y: "у" };
  const LETTER_LOOKALIKE = { A: "А", B: "В", C: "С", E: "Е", H: "Н", K: "К", M: "М", O: "О", P: "Р", T: "Т", X: "Х", Y: "У", 3: "З", 0: "О" };
  const STOP = new Set("и в во на по с со для от к о об из до за при а".split(" "));
  const MAX_TOKEN = 24;
  const DASH = "[\\s\\-\\u2010-\\u2015\\u2212_.]*";
  const REG_IN_TEXT = new RegExp(`(?<![0-9])([0-9]{1,2})${DASH}([a-zа-я0-9]{2})${DASH}([0-9]{5,6})${DASH}([0-9]{4})(?![0-9])`, "g");
  const OPO_IN_TEXT = new RegExp(`(?<![0-9a-zа-я])[aа]${DASH}([0-9]{2})${DASH}([0-9]{5})${DASH}([0-9]{4})(?![0-9])`, "g");
  const LICENCE_IN_TEXT = new RegExp(`(?<![a-zа-я])(?:дэ|де|de|дe|dэ)${DASH}00${DASH}([0-9]{6})(?![0-9])`, "g");
  const CERT_IN_TEXT = /(?<![a-zа-я0-9])([a-zа-я]{2})\s*\.\s*([0-9]{2})\s*\.\s*([0-9]{5})\s*\.\s*([0-9]{3})(?![0-9])/g;

  const fold = (text) => String(text || "").toLowerCase().replace(/ё/g, "е");

  function fixWord(word) {
    if (/[а-я]/.test(word) || (/[a-z]/.test(word) && /^[abcehkmoptxy0-9]+$/.test(word))) {
      word = word.replace(/[abcehkmoptxy]/g, (c) => LOOKALIKE[c]);
    }
    return word.slice(0, MAX_TOKEN);
  }

  function words(text) {
    const out = [];
    for (const raw of fold(text).match(/[0-9a-zа-я]+/g) || []) {
      const word = fixWord(raw);
      if (word.length >= 2 && !STOP.has(word)) out.push(word);
    }
    return out;
  }

  /** The canonical registration number from its four groups (rules of fields.parse_reg_number). */
  function regCanonical(first, letters, serial, year) {
    if (first.length > 2 || (serial.length !== 5 && serial.length !== 6) || year.length !== 4) return null;
    const code = letters.toUpperCase().replace(/[ABCEHKMOPTXY30]/g, (c) => LETTER_LOOKALIKE[c]);
    if (!/^[А-ЯЁ]{2}$/.test(code)) return null;
    return `${first.padStart(2, "0")}-${code}-${serial}-${year}`;
  }

  const regToken = (canonical) => fold(canonical).replace(/-/g, "");

  /** A registration number in any common spelling → canonical, or null. */
  function parseRegNumber(text) {
    const folded = fold(text).replace(/№/g, " ").trim();
    const re = new RegExp(`^(?:n|no)?\\s*([0-9]{1,2})${DASH}([a-zа-я0-9]{2})${DASH}([0-9]{5,6})${DASH}([0-9]{4})$`);
    const m = folded.match(re);
    return m ? regCanonical(m[1], m[2], m[3], m[4]) : null;
  }

  function numberTokens(text) {
    let folded = fold(text);
    const found = [];
    const take = (re, make) => {
      folded = folded.replace(re, (...m) => {
        const token = make(m);
        if (!token) return m[0];
        found.push(token);
        return " ";
      });
    };
    take(REG_IN_TEXT, (m) => {
      const c = regCanonical(m[1], m[2], m[3], m[4]);
      return c ? regToken(c) : null;
    });
    take(OPO_IN_TEXT, (m) => `а${m[1]}${m[2]}${m[3]}`);
    take(LICENCE_IN_TEXT, (m) => `дэ00${m[1]}`);
    take(CERT_IN_TEXT, (m) => {
      const prefix = m[1].replace(/[abcehkmoptxy]/g, (c) => LOOKALIKE[c] || c);
      return /^[а-я]/.test(prefix) ? `${prefix}${m[2]}${m[3]}${m[4]}` : null;
    });
    return [found, folded];
  }

  function queryTerms(text) {
    const [numbers, rest] = numberTokens(text);
    return [...new Set([...numbers, ...words(rest)])];
  }

  /** 32-bit FNV-1a over UTF-16 code units (openepb.publish.search.fnv1a). */
  function fnv1a(text) {
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash >>> 0;
  }

  const prefixName = (prefix) => [...prefix].map((c) => c.codePointAt(0).toString(16)).join("-");

  function shardPrefix(token, split, first) {
    let prefix = token.slice(0, first);
    while (split.has(prefix) && token.length > prefix.length) prefix = token.slice(0, prefix.length + 1);
    return prefix;
  }

  // ------------------------------------------------------------------------------------------
  // Index access

  let metaPromise = null;
  function loadMeta() {
    if (!metaPromise) {
      metaPromise = getJSON(`${BASE}meta.json`).then((meta) => ({ ...meta, splitSet: new Set(meta.split) }));
      metaPromise.catch(() => { metaPromise = null; });
    }
    return metaPromise;
  }

  const missing = new Set();
  /** A JSON file of the index, or `fallback` when the file does not exist (an empty shard). */
  async function indexFile(path, fallback) {
    if (missing.has(path)) return fallback;
    try {
      return await getJSON(BASE + path);
    } catch (err) {
      if (/HTTP 404/.test(err.message)) {
        missing.add(path);
        return fallback;
      }
      throw err;
    }
  }

  const tokenShard = (meta, token) => indexFile(`t/${prefixName(shardPrefix(token, meta.splitSet, meta.first_prefix))}.json`, {});

  function decode(deltas) {
    const out = new Array(deltas.length);
    let last = 0;
    for (let i = 0; i < deltas.length; i++) {
      last += deltas[i];
      out[i] = last;
    }
    return out;
  }

  /** Alternatives of one query term: the token itself, words it begins (the last term), or near
      spellings (edit distance 1, 2 for long words) when nothing else is there. */
  async function expand(meta, term, isLast) {
    const shard = await tokenShard(meta, term);
    const alts = [];
    if (shard[term]) alts.push({ token: term, entry: shard[term], weight: 3, how: "exact" });
    if (isLast && term.length >= 3) {
      const more = Object.entries(shard).filter(([t]) => t !== term && t.startsWith(term))
        .sort((a, b) => b[1][0] - a[1][0]).slice(0, MAX_PREFIX_ALTS);
      for (const [token, entry] of more) alts.push({ token, entry, weight: 2, how: "prefix" });
    }
    if (!alts.length && term.length >= 4 && /\D/.test(term)) {
      const max = term.length >= 8 ? 2 : 1;
      const near = Object.entries(shard)
        .filter(([t]) => Math.abs(t.length - term.length) <= max && levenshtein(t, term) <= max)
        .sort((a, b) => b[1][0] - a[1][0]).slice(0, MAX_FUZZY_ALTS);
      for (const [token, entry] of near) alts.push({ token, entry, weight: 1, how: "near" });
    }
    return { term, alts };
  }

  function altBlocks(meta, alt) {
    const [, inline, blocks] = alt.entry;
    if (!inline) return blocks;
    if (!alt.ordinals) alt.ordinals = decode(inline);
    return [...new Set(alt.ordinals.map((o) => Math.floor(o / meta.block)))];
  }

  async function altOrdinals(meta, alt, block) {
    const [, inline, blocks] = alt.entry;
    const lo = block * meta.block;
    const hi = lo + meta.block;
    if (inline) return alt.ordinals.filter((o) => o >= lo && o < hi);
    if (!blocks.includes(block)) return [];
    return decode(await indexFile(`b/${prefixName(alt.token)}/${block}.json`, []));
  }

  /** The ordinal range [lo, hi) of a year filter, or null for all years. */
  function yearRange(meta, from, to, allYears) {
    if (allYears) return null;
    let lo = null;
    let hi = null;
    meta.years.forEach(([year, start], i) => {
      const end = i + 1 < meta.years.length ? meta.years[i + 1][1] : meta.records;
      if (year !== null && year >= from && year <= to) {
        if (lo === null) lo = start;
        hi = end;
      }
    });
    return lo === null ? [0, 0] : [lo, hi];
  }

  /** Which filter cells pass: a Set, or null for no type/region filter. */
  function cellFilter(meta, m, st) {
    if (!st.type && !st.district && !st.office) return null;
    const O = meta.offices.length + 1;
    const typeCode = st.type ? m.types.find((t) => t.key === st.type).code : null;
    const typeIdx = typeCode === null ? null : meta.types.indexOf(typeCode);
    let offices = null;
    if (st.office) offices = [m.offices.find((o) => o.key === st.office).code];
    else if (st.district) {
      const d = m.districts.findIndex((x) => x.key === st.district);
      offices = m.offices.filter((o) => o.district === d).map((o) => o.code);
    }
    const officeIdx = offices ? offices.map((c) => meta.offices.indexOf(c)).filter((i) => i >= 0) : null;
    const cells = new Set();
    const types = typeIdx === null ? [...meta.types.keys(), meta.types.length] : typeIdx < 0 ? [] : [typeIdx];
    const officeList = officeIdx === null ? [...Array(O).keys()] : officeIdx;
    for (const t of types) for (const o of officeList) cells.add(t * O + o);
    return cells;
  }

  /** Run a query: ranked ordinals with their score; `complete` says whether the count is exact. */
  async function evaluate(meta, terms, range, cells, need) {
    const expanded = await Promise.all(terms.map((t, i) => expand(meta, t, i === terms.length - 1)));
    if (!terms.length || expanded.some((e) => !e.alts.length)) {
      return { hits: [], complete: true, expanded };
    }
    let blocks = null;
    for (const e of expanded) {
      const mine = new Set(e.alts.flatMap((a) => altBlocks(meta, a)));
      blocks = blocks === null ? mine : new Set([...blocks].filter((b) => mine.has(b)));
    }
    const order = [...blocks].sort((a, b) => a - b)
      .filter((b) => !range || (b * meta.block < range[1] && (b + 1) * meta.block > range[0]));
    const hits = [];
    let complete = true;
    for (const block of order) {
      const needsFetch = expanded.some((e) => e.alts.some((a) => !a.entry[1]));
      if (hits.length >= need && needsFetch) {
        complete = false;
        break;
      }
      let acc = null;
      for (const e of expanded) {
        const scores = new Map();
        const lists = await Promise.all(e.alts.map((a) => altOrdinals(meta, a, block)));
        lists.forEach((list, i) => {
          for (const o of list) if ((scores.get(o) || 0) < e.alts[i].weight) scores.set(o, e.alts[i].weight);
        });
        if (acc === null) acc = scores;
        else {
          const next = new Map();
          for (const [o, s] of acc) if (scores.has(o)) next.set(o, s + scores.get(o));
          acc = next;
        }
        if (!acc.size) break;
      }
      let found = [...acc].filter(([o]) => !range || (o >= range[0] && o < range[1]));
      if (cells && found.length) {
        const facetFiles = [...new Set(found.map(([o]) => Math.floor(o / meta.facet)))];
        const facets = new Map(await Promise.all(facetFiles.map(async (f) => [f, await indexFile(`f/${f}.json`, [])])));
        found = found.filter(([o]) => cells.has(facets.get(Math.floor(o / meta.facet))[o % meta.facet]));
      }
      hits.push(...found);
    }
    hits.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return { hits, complete, expanded };
  }

  async function summaries(meta, ordinals) {
    const files = [...new Set(ordinals.map((o) => Math.floor(o / meta.summary)))];
    const loaded = new Map(await Promise.all(files.map(async (f) => [f, await indexFile(`s/${f}.json`, [])])));
    return ordinals.map((o) => loaded.get(Math.floor(o / meta.summary))[o % meta.summary]);
  }

  // ------------------------------------------------------------------------------------------
  // The search page

  const dateText = (iso) => (iso ? new Date(iso).toLocaleDateString("ru-RU") : "дата не указана");
  const cardHref = (reg) => `conclusion.html?n=${encodeURIComponent(reg)}`;

  function resultItem(m, row) {
    const [reg, day, type, office, object, applicant, applicantId, expert, expertId, verdict, excluded] = row;
    const officeShort = (m.offices.find((o) => o.code === office) || {}).short || office || "—";
    const orgLink = (role, id, name) => (id ? h("a", { href: S.orgHref(role, id) }, name || id) : name || "—");
    return h("li", {},
      h("span", { class: "result-title" }, h("a", { href: cardHref(reg) }, reg), ` · ${dateText(day)} · ${type || "?"} · ${officeShort}`),
      h("span", {}, object || "наименование объекта не опубликовано",
        verdict && verdict !== "соответствует" ? h("span", { class: "badge" }, ` вывод: ${verdict}`) : null,
        excluded ? h("span", { class: "badge" }, ` исключено ${dateText(excluded)}`) : null),
      h("span", { class: "result-meta" }, "Заявитель: ", orgLink("applicant", applicantId, applicant),
        " · Экспертная организация: ", orgLink("expert", expertId, expert)));
  }

  function pagerNav(total, page, complete, hrefOf) {
    const nav = $("pager");
    const pages = Math.ceil(total / PAGE);
    if (pages <= 1 && complete) {
      nav.hidden = true;
      return;
    }
    const items = [];
    if (page > 1) items.push(h("a", { href: hrefOf(page - 1), "data-p": page - 1, rel: "prev" }, "← Назад"));
    items.push(h("span", { "aria-current": "page" }, `Страница ${page}${complete ? ` из ${pages}` : ""}`));
    if (page < pages || !complete) items.push(h("a", { href: hrefOf(page + 1), "data-p": page + 1, rel: "next" }, "Дальше →"));
    nav.replaceChildren(...items);
    nav.hidden = false;
  }

  function howFound(expanded) {
    const notes = [];
    for (const e of expanded) {
      const near = e.alts.filter((a) => a.how === "near").map((a) => a.token);
      if (near.length) notes.push(`«${e.term}» — похожие написания: ${near.slice(0, 5).join(", ")}`);
    }
    return notes.length ? ` Найдено по похожим словам: ${notes.join("; ")}.` : "";
  }

  function searchPage() {
    const input = $("q");
    const form = $("q-form");
    const list = $("results");
    let m = null;
    let getState = null;
    let seq = 0;
    let timer = 0;

    const params = () => new URLSearchParams(location.search);
    const pageOf = () => Math.max(1, Number(params().get("p")) || 1);
    function urlFor(q, page) {
      const extra = {};
      if (q) extra.q = q;
      if (page > 1) extra.p = page;
      return `${location.pathname}${S.stateQuery(m, getState(), extra)}`;
    }

    async function run() {
      const mine = ++seq;
      const q = input.value.trim();
      const page = pageOf();
      BODY.dataset.searchState = "busy";
      const started = performance.now();
      const terms = queryTerms(q);
      if (!terms.length) {
        list.replaceChildren();
        $("pager").hidden = true;
        setStatus("q-status", q ? "В запросе нет слов для поиска: введите номер, ИНН или хотя бы два символа." : "Введите номер заключения, ИНН, лицензию, название организации или слова объекта.");
        BODY.dataset.searchState = "done";
        return;
      }
      setStatus("q-status", "Ищем…");
      let meta;
      try {
        meta = await loadMeta();
        const st = getState();
        const allYears = st.from === m.years[0] && st.to === m.years[m.years.length - 1];
        const range = yearRange(meta, st.from, st.to, allYears);
        const need = page * PAGE + 1;
        const { hits, complete, expanded } = await evaluate(meta, terms, range, cellFilter(meta, m, st), need);
        if (mine !== seq) return;
        const shown = hits.slice((page - 1) * PAGE, page * PAGE);
        const rows = await summaries(meta, shown.map(([o]) => o));
        if (mine !== seq) return;
        BODY.dataset.searchMs = (performance.now() - started).toFixed(1);
        list.replaceChildren(...rows.map((row) => resultItem(m, row)));
        list.setAttribute("start", String((page - 1) * PAGE + 1));
        pagerNav(hits.length, page, complete, (p) => urlFor(q, p));
        const reg = parseRegNumber(q);
        if (!hits.length) {
          const missingReg = reg ? ` Заключение с номером ${reg} не найдено — ` : " ";
          setStatus("q-status", `Ничего не найдено.${missingReg}${reg ? "см. похожие номера в карточке." : "Проверьте написание или ослабьте фильтр."}`);
          if (reg) list.replaceChildren(h("li", {}, h("a", { href: cardHref(reg) }, `Карточка номера ${reg} и похожие номера`)));
        } else {
          const count = complete ? `Найдено заключений: ${fmt(hits.length)}` : `Найдено заключений: не менее ${fmt(hits.length)}`;
          const range0 = `показаны ${fmt((page - 1) * PAGE + 1)}–${fmt((page - 1) * PAGE + shown.length)}`;
          setStatus("q-status", `${count}; ${range0}. Сначала — точные совпадения, затем новые.${howFound(expanded)}`);
        }
      } catch (err) {
        if (mine === seq) setStatus("q-status", `Не удалось загрузить поисковый индекс: ${err.message}`, true);
      }
      if (mine === seq) BODY.dataset.searchState = "done";
    }

    input.addEventListener("input", () => {
      history.replaceState(null, "", urlFor(input.value.trim(), 1));
      clearTimeout(timer);
      timer = setTimeout(run, 150);
    });
    input.addEventListener("focus", () => loadMeta().catch(() => {}), { once: true });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      history.replaceState(null, "", urlFor(input.value.trim(), 1));
      clearTimeout(timer);
      run();
    });
    $("pager").addEventListener("click", (event) => {
      const link = event.target.closest("a[data-p]");
      if (!link) return;
      event.preventDefault();
      history.pushState(null, "", link.getAttribute("href"));
      run().then(() => list.focus && $("q-status").scrollIntoView({ block: "nearest" }));
    });

    input.value = params().get("q") || "";
    getJSON(`${RANK}manifest.json`).then((manifest) => {
      m = manifest;
      getState = S.setupFilters(m, () => {
        if (getState) {
          input.value = params().get("q") || "";
          run();
        }
      }, {});
      run();
    }).catch((err) => setStatus("q-status", `Не удалось загрузить данные: ${err.message}`, true));
  }

  window.openepbSearch = {
    fold, words, queryTerms, numberTokens, parseRegNumber, regToken, fnv1a, prefixName, shardPrefix,
    levenshtein, loadMeta, indexFile, tokenShard, decode, summaries, cardHref, dateText,
  };
  if (BODY.dataset.page === "search.html") searchPage();
})();
