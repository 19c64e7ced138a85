/* The in-browser validator: the checks of openepb/validate/check.py, run on a file the visitor picks.
 * Nothing is sent anywhere: the file is read with File.arrayBuffer() and never leaves the page.
 * The rules (field order, types with their patterns, code lists and control digits, accepted schema
 * versions, template columns, the problem codes with their levels and message templates) are
 * embedded in the page as JSON by the build, from the same sources as the command-line validator
 * (schema/formats.yaml, schema/problems.yaml); no pattern and no message is written here by hand. */
(() => {
  "use strict";

  const XMLNS = "http://www.w3.org/2000/xmlns/";
  const XSI = "http://www.w3.org/2001/XMLSchema-instance";
  const XHTML = "http://www.w3.org/1999/xhtml";
  const XML_SPACE = /^[ \t\r\n]*$/;

  // --- small helpers ------------------------------------------------------------------------------

  const chars = (text) => Array.from(text);
  const pyStrip = (text) => text.replace(/^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/gu, "");
  const xmlTrim = (text) => text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");

  const ERROR = "error";
  const WARNING = "warning";

  /** A message template of the catalogue with its {name} placeholders filled (as ProblemSpec.text). */
  const fill = (template, params) => template.replace(/\{(\w+)\}/g, (_, name) => String(params[name]));

  /** Issues of catalogue codes: level and message come from the rules' problems. */
  function issueMaker(rules) {
    return (code, row, field, value, line, params = {}) => {
      const spec = rules.problems[code];
      return { code, row, field, value, reason: fill(spec.message, params), line: line || null, level: spec.level };
    };
  }

  /** The file cannot be checked: a catalogue code, the values of its message, where a parse failed. */
  class Unreadable extends Error {
    constructor(code, params = {}, where = "") {
      super(code);
      this.code = code;
      this.params = params;
      this.where = where;
    }
  }

  // --- simple types of the schema (the XSD's patterns and code lists come from the rules) ----------

  const TZ = "(Z|[+-](\\d{2}):(\\d{2}))?";
  const DATE_RE = new RegExp(`^(-?)(\\d{4,})-(\\d{2})-(\\d{2})${TZ}$`);
  const YEAR_RE = new RegExp(`^(-?)(\\d{4,})${TZ}$`);
  const DATETIME_RE = new RegExp(
    `^(-?)(\\d{4,})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2}(?:\\.\\d+)?)${TZ}$`,
  );

  const isLeap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const daysIn = (y, m) => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];

  function yearOk(digits) {
    return !(digits.length > 4 && digits[0] === "0") && Number(digits) !== 0;
  }

  function zoneOk(zone, hh, mm) {
    if (!zone || zone === "Z") return true;
    const h = Number(hh);
    const m = Number(mm);
    return m <= 59 && h * 60 + m <= 14 * 60;
  }

  function dateOk(text) {
    const found = DATE_RE.exec(text);
    if (!found) return false;
    const [, sign, y, mo, d, zone, zh, zm] = found;
    const year = Number(sign + y);
    const month = Number(mo);
    const day = Number(d);
    return (
      yearOk(y) && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) && zoneOk(zone, zh, zm)
    );
  }

  function dateTimeOk(text) {
    const found = DATETIME_RE.exec(text);
    if (!found) return false;
    const [, sign, y, mo, d, hh, mi, ss, zone, zh, zm] = found;
    if (!dateOk(`${sign}${y}-${mo}-${d}`)) return false;
    const [h, m, s] = [Number(hh), Number(mi), Number(ss)];
    const midnight = h === 24 && m === 0 && s === 0;
    return (midnight || (h <= 23 && m <= 59 && s < 60)) && zoneOk(zone, zh, zm);
  }

  function yearTypeOk(text) {
    const found = YEAR_RE.exec(text);
    return Boolean(found) && yearOk(found[2]) && zoneOk(found[3], found[4], found[5]);
  }

  const BASE_CHECKS = {
    "xs:string": () => true,
    // libxml2 does not collapse whitespace around the date types of a derived simple type: neither here.
    "xs:date": dateOk,
    "xs:dateTime": dateTimeOk,
    "xs:gYear": yearTypeOk,
    "xs:nonNegativeInteger": (text) => /^(\+?\d+|-0+)$/.test(xmlTrim(text)),
  };

  function typeChecker(types) {
    const compiled = {};
    for (const [name, spec] of Object.entries(types)) {
      const pattern = spec.pattern ? new RegExp(`^(?:${spec.pattern})$`, "u") : null;
      const codes = spec.codes && spec.strict ? new Set(spec.codes) : null; // an open list only warns
      compiled[name] = (text) =>
        BASE_CHECKS[spec.base](text) &&
        (spec.min_length == null || chars(text).length >= spec.min_length) &&
        (!pattern || pattern.test(text)) &&
        (!codes || codes.has(text));
    }
    const builtIn = (name) => BASE_CHECKS[name];
    return (name, text) => (compiled[name] || builtIn(name))(text);
  }

  /** Control digits by the exported weights: each is sum(weight × digit) mod 11 mod 10. */
  function controlDigitsOk(checksums, kind, value) {
    const byLength = checksums[kind];
    if (!/^[0-9]+$/.test(value) || !Object.hasOwn(byLength, String(value.length))) return false;
    const digits = Array.from(value, Number);
    const weights = byLength[String(value.length)];
    const first = value.length - weights.length;
    return weights.every((ws, n) => ws.reduce((sum, w, k) => sum + w * digits[k], 0) % 11 % 10 === digits[first + n]);
  }

  // --- a record as the checks see it: its children in order ------------------------------------------
  // child: {kind: "text", text} | {kind: "element", ns, local, attrs, nested, text, line}
  // text of an element: its character data before the first child element ("" when none).

  function makeValidator(rules) {
    const issue = issueMaker(rules);
    const fits = typeChecker(rules.types);
    const fieldNames = rules.fields.map((f) => f.name);
    const fieldIndex = new Map(fieldNames.map((n, i) => [n, i]));
    const fieldsByName = new Map(rules.fields.map((f) => [f.name, f]));
    const required = new Set(rules.fields.filter((f) => f.required).map((f) => f.name));
    const lastRequired = Math.max(...rules.fields.map((f, i) => (f.required ? i : -1)));
    const nextRequired = (pos) => {
      const found = rules.fields.findIndex((f, i) => i > pos && f.required);
      return found === -1 ? Infinity : found;
    };
    const shownLimit = rules.limits.value_shown;

    const shown = (value) => {
      if (value === null || value === undefined || value === "") return null;
      const cs = chars(value);
      return cs.length <= shownLimit ? value : cs.slice(0, shownLimit).join("") + "…";
    };
    const after = (name, wanted) =>
      fieldIndex.has(name) && fieldIndex.get(name) > fieldIndex.get(wanted);

    /** The field libxml2 names as expected after position ``pos``: it lists the optional fields up
     * to the next required one, and the CLI takes the first required one listed, else the first. */
    const expectedAfter = (pos) => {
      const next = nextRequired(pos);
      if (next !== Infinity) return fieldNames[next];
      return pos + 1 < fieldNames.length ? fieldNames[pos + 1] : null;
    };

    function contentModelIssue(child, pos, row) {
      const name = child.ns ? child.local : null;
      const wanted = expectedAfter(pos);
      if (required.has(wanted) && (!fieldIndex.has(name) || after(name, wanted))) {
        return issue("field_missing", row, wanted, null, child.line);
      }
      if (fieldIndex.has(name)) return issue("field_order", row, name, null, child.line);
      return issue("unknown_element", row, name, null, child.line);
    }

    /** The XSD's verdict on one record, in plain words, in the order libxml2 reports it. */
    function xsdIssues(record, row) {
      const found = [];
      for (let i = 0; i < record.attrs; i += 1) found.push(issue("attribute_not_allowed", row, null, null, record.line));
      let pos = -1;
      let stopped = false;
      for (const child of record.children) {
        if (child.kind === "text") {
          if (!XML_SPACE.test(child.text)) found.push(issue("text_outside_fields", row, null, null, record.line));
          continue;
        }
        const index = child.ns === rules.namespace ? fieldIndex.get(child.local) : undefined;
        if (index === undefined || index <= pos || index > nextRequired(pos)) {
          found.push(contentModelIssue(child, pos, row));
          stopped = true;
          break;
        }
        pos = index;
        for (let i = 0; i < child.attrs; i += 1) found.push(issue("attribute_not_allowed", row, null, null, child.line));
        const spec = fieldsByName.get(child.local);
        if (child.nested || !fits(spec.type, child.text)) {
          const reason = rules.types[spec.type].reason;
          found.push(issue("value_pattern", row, child.local, shown(child.text), child.line, { reason }));
        }
      }
      if (!stopped && pos < lastRequired) {
        found.push(issue("field_missing", row, expectedAfter(pos), null, record.line));
      }
      const seen = new Set();
      return found.filter((item) => {
        const key = JSON.stringify([item.field, item.reason]);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }

    const typeOf = (field) => rules.types[field.type];
    const checksumFields = rules.fields.filter((f) => typeOf(f).checksum);
    const unlistedFields = rules.fields.filter((f) => typeOf(f).codes && !typeOf(f).strict);
    const has = (good, name) => Object.hasOwn(good, name) && good[name] !== "";

    /** A value that fits its pattern but whose control digits are wrong (a mistyped ИНН). */
    function checksumIssues(good, row, line) {
      const found = [];
      for (const field of checksumFields) {
        const spec = typeOf(field);
        const value = has(good, field.name) ? good[field.name] : null;
        if (value && fits(field.type, value) && !controlDigitsOk(rules.checksums, spec.checksum, value)) {
          found.push(issue("inn_checksum", row, field.name, value, line, { reason: spec.checksum_reason || spec.reason }));
        }
      }
      return found;
    }

    /** A warning for a code outside an open list; without an object_type element, the number's
     * second group is the object-type code. */
    function unlistedIssues(good, row, line) {
      const found = [];
      for (const field of unlistedFields) {
        const spec = typeOf(field);
        let where = field.name;
        let code = has(good, field.name) ? good[field.name] : null;
        if (!code && field.name === "object_type" && has(good, "reg_number")) {
          where = "reg_number";
          code = chars(good.reg_number).slice(3, 5).join("");
        }
        if (code && fits(field.type, code) && !spec.codes.includes(code)) {
          const reason = fill(spec.unlisted_reason || rules.problems.object_type_unlisted.title, { code });
          found.push(issue("object_type_unlisted", row, where, good[where], line, { reason }));
        }
      }
      return found;
    }

    /** State across the records of one file: numbers seen and the document's office. */
    function recordChecks() {
      const state = { documentOffice: null, seen: new Map() };

      function numberRules(number, good, row, line) {
        const found = [];
        if (state.seen.has(number)) {
          found.push(issue("duplicate_number", row, "reg_number", number, line, { first: state.seen.get(number) }));
        } else {
          state.seen.set(number, row || 0);
        }
        const cs = chars(number);
        const objectType = cs.slice(3, 5).join("");
        const year = cs.slice(-4).join("");
        const registered = good.date_registered;
        const registeredYear = registered ? chars(registered).slice(0, 4).join("") : null;
        if (registered && registeredYear !== year) {
          const params = { registered: registeredYear, year };
          found.push(issue("year_mismatch", row, "date_registered", registered, line, params));
        }
        const declared = good.object_type;
        if (declared && declared !== objectType) {
          found.push(issue("object_code_mismatch", row, "object_type", declared, line, { code: objectType }));
        }
        return found;
      }

      function check(values, bad, row, line) {
        const good = {};
        for (const [key, value] of values) if (!bad.has(key)) good[key] = value;
        const found = good.reg_number ? numberRules(good.reg_number, good, row, line) : [];
        const { date_registered: registered, excluded_date: excluded, office_code: office } = good;
        if (registered && excluded && excluded < registered) {
          found.push(issue("excluded_before_registered", row, "excluded_date", excluded, line));
        }
        if (state.documentOffice && office && office !== state.documentOffice) {
          found.push(issue("other_office", row, "office_code", office, line, { office: state.documentOffice }));
        }
        return found.concat(checksumIssues(good, row, line), unlistedIssues(good, row, line));
      }

      return { state, check };
    }

    function checkRecord(record, row, checks) {
      const found = xsdIssues(record, row);
      const bad = new Set(found.filter((i) => i.field).map((i) => i.field));
      const values = new Map();
      for (const child of record.children) {
        if (child.kind === "element" && child.ns === rules.namespace) values.set(child.local, pyStrip(child.text));
      }
      return found.concat(checks.check(values, bad, row, record.line));
    }

    return { fits, checkRecord, recordChecks, fieldIndex, fieldsByName, shown };
  }

  // --- XML documents ---------------------------------------------------------------------------------

  const latin1 = new TextDecoder("latin1");

  function checkProlog(bytes, rules) {
    const head = bytes.subarray(0, rules.limits.prolog_bytes);
    const starts = (...sig) => sig.every((b, i) => head[i] === b);
    if (starts(0xff, 0xfe) || starts(0xfe, 0xff) || starts(0, 0, 0xfe, 0xff) || head.subarray(0, 4).includes(0)) {
      throw new Unreadable("encoding_not_utf8");
    }
    const text = latin1.decode(head);
    const declared = /<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(text.slice(0, 200));
    if (declared && !["utf-8", "utf8"].includes(declared[1].toLowerCase().replace(/_/g, "-"))) {
      throw new Unreadable("encoding_declared_other");
    }
    if (text.includes("<!DOCTYPE") || text.includes("<!ENTITY")) throw new Unreadable("dtd_forbidden");
  }

  /** Whether a DOCTYPE stands before the root element (checked before parsing: no entity is expanded). */
  function hasDoctype(text) {
    let i = 0;
    for (;;) {
      while (i < text.length && " \t\r\n\ufeff".includes(text[i])) i += 1;
      let end;
      if (text.startsWith("<?", i)) end = text.indexOf("?>", i + 2);
      else if (text.startsWith("<!--", i)) end = text.indexOf("-->", i + 4);
      else return text.startsWith("<!DOCTYPE", i);
      if (end === -1) return false; // unclosed: the parser reports it
      i = end + 2 + (text[end] === "-" ? 1 : 0);
    }
  }

  function syntaxError(detail) {
    const at = /line (\d+) at column (\d+)/.exec(detail);
    const where = at ? ` (строка ${at[1]}, позиция ${at[2]})` : "";
    // The browser's parser words its errors differently from libxml2's; like the CLI (whose libxml2
    // reports an undefined entity or a control character as a plain syntax error) only encoding
    // problems get their own code.
    if (detail.includes("UTF-8") || /encoding/i.test(detail)) return new Unreadable("xml_bad_characters", {}, where);
    return new Unreadable("xml_malformed", {}, where);
  }

  /** Line of the end of every start tag, in document order (libxml2 gives an element that line). */
  function startTagLines(text) {
    const lines = [];
    let line = 1;
    let counted = 0;
    const lineAt = (pos) => {
      for (let n = text.indexOf("\n", counted); n !== -1 && n < pos; n = text.indexOf("\n", n + 1)) {
        line += 1;
        counted = n + 1;
      }
      return line;
    };
    let i = text.indexOf("<");
    while (i !== -1) {
      let end;
      if (text.startsWith("<!--", i)) end = text.indexOf("-->", i) + 3;
      else if (text.startsWith("<![CDATA[", i)) end = text.indexOf("]]>", i) + 3;
      else if (text.startsWith("<?", i)) end = text.indexOf("?>", i) + 2;
      else if (text[i + 1] === "/" || text[i + 1] === "!") end = text.indexOf(">", i) + 1;
      else {
        end = i + 1;
        let quote = null;
        while (end < text.length && (quote || text[end] !== ">")) {
          const c = text[end];
          if (quote) quote = c === quote ? null : quote;
          else if (c === '"' || c === "'") quote = c;
          end += 1;
        }
        lines.push(lineAt(end));
        end += 1;
      }
      i = text.indexOf("<", end);
    }
    return lines;
  }

  function parseXml(text) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    const error = doc.getElementsByTagNameNS(XHTML, "parsererror")[0];
    if (error) throw syntaxError(error.textContent || "");
    const lines = new Map();
    const tagLines = startTagLines(text);
    const walker = doc.createTreeWalker(doc, NodeFilter.SHOW_ELEMENT);
    for (let n = 0, node = walker.nextNode(); node; node = walker.nextNode(), n += 1) lines.set(node, tagLines[n]);
    return { doc, lines };
  }

  const realAttributes = (el) =>
    Array.from(el.attributes).filter((a) => a.namespaceURI !== XMLNS && a.namespaceURI !== XSI);

  /** An element's character data before its first child element, as lxml's ``.text``. */
  function leadingText(el) {
    let text = "";
    for (let node = el.firstChild; node && node.nodeType !== Node.ELEMENT_NODE; node = node.nextSibling) {
      if (node.nodeType === Node.TEXT_NODE || node.nodeType === Node.CDATA_SECTION_NODE) text += node.data;
    }
    return text;
  }

  function describeNode(node, lines) {
    if (node.nodeType === Node.ELEMENT_NODE) {
      return {
        kind: "element",
        ns: node.namespaceURI || "",
        local: node.localName,
        attrs: realAttributes(node).length,
        nested: node.firstElementChild !== null,
        text: leadingText(node),
        line: lines.get(node),
        node,
      };
    }
    if (node.nodeType === Node.TEXT_NODE || node.nodeType === Node.CDATA_SECTION_NODE) {
      return { kind: "text", text: node.data };
    }
    return null;
  }

  function childrenOf(el, lines) {
    const out = [];
    for (let node = el.firstChild; node; node = node.nextSibling) {
      const child = describeNode(node, lines);
      if (!child) continue;
      const last = out[out.length - 1];
      if (child.kind === "text" && last && last.kind === "text") last.text += child.text;
      else out.push(child);
    }
    return out;
  }

  function xmlRecord(el, lines) {
    return { attrs: realAttributes(el).length, children: childrenOf(el, lines), line: lines.get(el) };
  }

  /** The register element without its records (and their tail text), against the full schema. */
  function headerIssues(root, children, rules, fits, lines) {
    const issue = issueMaker(rules);
    const found = [];
    const version = () => issue("header_version", null, null, null, rootLine, { root: rules.root });
    const rootLine = lines.get(root);
    const order = [...rules.header.map((h) => h.name), rules.record];
    const byName = new Map(rules.header.map((h) => [h.name, h]));
    let hasVersion = false;
    for (const attr of realAttributes(root)) {
      if (attr.namespaceURI === null && attr.localName === "version") {
        hasVersion = true;
        if (!rules.versions.includes(attr.value)) found.push(version());
      } else {
        found.push(attr.localName.includes("version") ? version() : issue("header_invalid", null, null, null, rootLine));
      }
    }
    if (!hasVersion) found.push(version());
    let pos = -1;
    let stopped = false;
    const wanted = () => order[Math.min(pos + 1, order.length - 1)];
    for (const child of children) {
      if (child.kind === "text") {
        if (!XML_SPACE.test(child.text)) found.push(issue("header_invalid", null, null, null, rootLine));
        continue;
      }
      const index = child.ns === rules.namespace ? order.indexOf(child.local) : -1;
      const name = child.ns ? child.local : null;
      const required = rules.header.findIndex((h, i) => i > pos && h.required);
      if (index === -1 || index <= pos || index === order.length - 1 || (required !== -1 && index > required)) {
        const field = name === rules.root ? null : name;
        found.push(issue("header_expected", null, field, null, child.line, { element: wanted() }));
        stopped = true;
        break;
      }
      for (let i = 0; i < child.attrs; i += 1) found.push(issue("header_invalid", null, child.local, null, child.line));
      if (child.nested || !fits(byName.get(child.local).type, child.text)) {
        found.push(issue("header_invalid", null, child.local, null, child.line));
      }
      pos = index;
    }
    const lastRequired = Math.max(...rules.header.map((h, i) => (h.required ? i : -1)));
    if (!stopped && pos < lastRequired) {
      found.push(issue("header_expected", null, null, null, rootLine, { element: wanted() }));
    }
    return found;
  }

  function validateXml(bytes, report, rules, validator) {
    checkProlog(bytes, rules);
    let text;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new Unreadable("xml_bad_characters");
    }
    if (hasDoctype(text)) throw new Unreadable("dtd_forbidden");
    const { doc, lines } = parseXml(text);
    const root = doc.documentElement;
    if (root.namespaceURI !== rules.namespace || root.localName !== rules.root) {
      throw new Unreadable("not_register_document", { root: rules.root, namespace: rules.namespace });
    }
    const checks = validator.recordChecks();
    const isRecord = (c) => c.kind === "element" && c.ns === rules.namespace && c.local === rules.record;
    const office = Array.from(root.children).find(
      (el) => el.namespaceURI === rules.namespace && el.localName === "office",
    );
    const misplaced = [];
    const header = [];
    let afterRecord = false;
    for (const child of childrenOf(root, lines)) {
      if (isRecord(child)) {
        report.records += 1;
        if (checks.state.documentOffice === null) checks.state.documentOffice = office ? leadingText(office) : "";
        report.issues.push(...validator.checkRecord(xmlRecord(child.node, lines), report.records, checks));
        afterRecord = true;
        continue;
      }
      if (child.kind === "text" && afterRecord) continue; // the tail of a record goes with it
      afterRecord = false;
      if (child.kind === "element" && report.records) misplaced.push(child);
      header.push(child);
    }
    const issue = issueMaker(rules);
    for (const child of misplaced) report.issues.push(issue("header_after_records", null, child.local, null, child.line));
    report.issues.push(...headerIssues(root, header, rules, validator.fits, lines));
  }

  // --- tables: xlsx and csv in the template layout ----------------------------------------------------

  /** Python's str(float) for the numbers a spreadsheet cell holds. */
  function pyFloat(value) {
    if (Number.isInteger(value)) return BigInt(value).toString();
    const exp = Math.floor(Math.log10(Math.abs(value)));
    if (exp < -4 || exp >= 16) {
      const [mant, e] = value.toExponential().split("e");
      const power = Number(e);
      return `${mant}e${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
    }
    return String(value);
  }

  function cellText(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === "number") return pyFloat(value);
    if (typeof value === "boolean") return value ? "True" : "False";
    const text = pyStrip(String(value));
    return text || null;
  }

  const normalizedHeader = (text) =>
    text.replace(/\*/g, " ").split(/[\s\u001c-\u001f\u0085]+/u).filter(Boolean).join(" ").toLowerCase();

  function findHeader(rows, rules) {
    const lookup = rules.template.headers;
    const limit = Math.min(rows.length, rules.template.search_rows);
    for (let i = 0; i < limit; i += 1) {
      if (rows[i].some((cell) => lookup[normalizedHeader(cell || "")] === "reg_number")) return i;
    }
    return null;
  }

  const DAY_FIRST = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
  function isoDate(text) {
    const found = DAY_FIRST.exec(text);
    return found ? `${found[3]}-${found[2].padStart(2, "0")}-${found[1].padStart(2, "0")}` : text;
  }

  function rowRecord(values, rules) {
    const children = [];
    for (const field of rules.fields) {
      const value = values.get(field.name);
      if (value) {
        const text = field.date ? isoDate(value) : value;
        children.push({ kind: "element", ns: rules.namespace, local: field.name, attrs: 0, nested: false, text, line: null });
      }
    }
    return { attrs: 0, children, line: null };
  }

  function validateTable(rows, report, rules, validator) {
    const issue = issueMaker(rules);
    const headerIndex = findHeader(rows, rules);
    if (headerIndex === null) {
      report.issues.push(issue("template_header_missing", null, null, null, null));
      return;
    }
    const lookup = rules.template.headers;
    const columns = new Map();
    rows[headerIndex].forEach((cell, col) => {
      if (!cell) return;
      const name = Object.hasOwn(lookup, normalizedHeader(cell)) ? lookup[normalizedHeader(cell)] : null;
      if (name === null) report.issues.push(issue("template_unknown_column", headerIndex + 1, cell, null, null));
      else columns.set(col, name);
    });
    const checks = validator.recordChecks();
    for (let index = headerIndex + 1; index < rows.length; index += 1) {
      const row = rows[index];
      const values = new Map();
      for (const [col, name] of columns) if (col < row.length && row[col]) values.set(name, row[col]);
      if (!values.size) continue;
      report.records += 1;
      report.issues.push(...validator.checkRecord(rowRecord(values, rules), index + 1, checks));
    }
  }

  // CSV as Python's csv.reader reads it (excel dialect; lines end at \n, \r or \r\n).
  function pythonCsv(text, delimiter) {
    const rows = [];
    const lines = text.match(/[^\r\n]*(\r\n|\r|\n)|[^\r\n]+$/g) || [];
    let fields = [];
    let field = "";
    let state = "start_record";
    const save = () => {
      fields.push(field);
      field = "";
    };
    const endLine = (c) => {
      save();
      state = c === null ? "start_record" : "eat_crnl";
    };
    const step = (c) => {
      const eol = c === null;
      const newline = c === "\n" || c === "\r";
      switch (state) {
        case "start_record":
          if (eol) return;
          if (newline) {
            state = "eat_crnl";
            return;
          }
          state = "start_field";
        // falls through
        case "start_field":
          if (eol || newline) endLine(c);
          else if (c === '"') state = "in_quoted";
          else if (c === delimiter) save();
          else {
            field += c;
            state = "in_field";
          }
          return;
        case "in_field":
          if (eol || newline) endLine(c);
          else if (c === delimiter) {
            save();
            state = "start_field";
          } else field += c;
          return;
        case "in_quoted":
          if (eol) return;
          if (c === '"') state = "quote_in_quoted";
          else field += c;
          return;
        case "quote_in_quoted":
          if (c === '"') {
            field += c;
            state = "in_quoted";
          } else if (c === delimiter) {
            save();
            state = "start_field";
          } else if (eol || newline) endLine(c);
          else {
            field += c;
            state = "in_field";
          }
          return;
        case "eat_crnl":
          if (eol) state = "start_record";
          return;
      }
    };
    for (const line of lines) {
      for (const c of line) step(c);
      step(null);
      if (state === "start_record") {
        rows.push(fields);
        fields = [];
      }
    }
    if (field.length || state === "in_quoted") {
      save();
      rows.push(fields);
    }
    return rows;
  }

  function decodeCsv(bytes) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      if (bytes.includes(0x98)) throw new Unreadable("csv_encoding"); // undefined in Python's cp1251
      return new TextDecoder("windows-1251").decode(bytes);
    }
  }

  function readCsv(bytes) {
    const text = decodeCsv(bytes);
    const firstLine = text.split("\n", 1)[0];
    const count = (d) => firstLine.split(d).length - 1;
    const delimiter = [";", ",", "\t"].reduce((best, d) => (count(d) > count(best) ? d : best));
    return pythonCsv(text, delimiter).map((row) => row.map(cellText));
  }

  // xlsx: the zip's central directory, entries inflated with DecompressionStream, sheet XML parsed.
  async function unzip(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let eocd = -1;
    for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i -= 1) {
      if (view.getUint32(i, true) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Unreadable("xlsx_unreadable", { error: "ZipError" });
    const entries = new Map();
    const total = view.getUint16(eocd + 10, true);
    let at = view.getUint32(eocd + 16, true);
    const utf8 = new TextDecoder();
    for (let n = 0; n < total; n += 1) {
      if (view.getUint32(at, true) !== 0x02014b50) throw new Unreadable("xlsx_unreadable", { error: "ZipError" });
      const method = view.getUint16(at + 10, true);
      const size = view.getUint32(at + 20, true);
      const nameLength = view.getUint16(at + 28, true);
      const extra = view.getUint16(at + 30, true);
      const comment = view.getUint16(at + 32, true);
      const local = view.getUint32(at + 42, true);
      const name = utf8.decode(bytes.subarray(at + 46, at + 46 + nameLength));
      entries.set(name, { method, size, local });
      at += 46 + nameLength + extra + comment;
    }
    const read = async (name) => {
      const entry = entries.get(name);
      if (!entry) return null;
      const start = entry.local + 30 + view.getUint16(entry.local + 26, true) + view.getUint16(entry.local + 28, true);
      const data = bytes.subarray(start, start + entry.size);
      if (entry.method === 0) return utf8.decode(data);
      if (entry.method !== 8) throw new Unreadable("xlsx_unreadable", { error: "UnsupportedCompression" });
      const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
      return new Response(stream).text();
    };
    return read;
  }

  const SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  const REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

  function xmlOf(text) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    if (doc.getElementsByTagNameNS(XHTML, "parsererror").length) throw new Unreadable("xlsx_unreadable", { error: "XmlError" });
    return doc;
  }
  const byTag = (node, tag) => Array.from(node.getElementsByTagNameNS(SHEET_NS, tag));

  function resolvePart(base, target) {
    if (target.startsWith("/")) return target.slice(1);
    const parts = base.split("/").slice(0, -1);
    for (const piece of target.split("/")) {
      if (piece === "..") parts.pop();
      else if (piece !== ".") parts.push(piece);
    }
    return parts.join("/");
  }

  async function relationships(read, part) {
    const slash = part.lastIndexOf("/");
    const relsPath = `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
    const text = await read(relsPath);
    const rels = new Map();
    if (!text) return rels;
    for (const rel of xmlOf(text).getElementsByTagName("Relationship")) {
      rels.set(rel.getAttribute("Id"), { type: rel.getAttribute("Type") || "", target: resolvePart(part, rel.getAttribute("Target") || "") });
    }
    return rels;
  }

  const BUILTIN_DATE_FORMATS = [[14, 22], [27, 36], [45, 47], [50, 58], [71, 81]];

  function isDateFormat(code) {
    const first = code.replace(/"[^"]*"|\[[^\]]*\]|\\.|_./g, "").split(";")[0];
    return /[dmyhsDMYHS]/.test(first);
  }

  async function dateStyles(read, rels) {
    const stylesRel = Array.from(rels.values()).find((r) => r.type.endsWith("/styles"));
    const text = stylesRel ? await read(stylesRel.target) : null;
    if (!text) return [];
    const doc = xmlOf(text);
    const custom = new Map(byTag(doc, "numFmt").map((f) => [Number(f.getAttribute("numFmtId")), f.getAttribute("formatCode") || ""]));
    const cellXfs = byTag(doc, "cellXfs")[0];
    if (!cellXfs) return [];
    return byTag(cellXfs, "xf").map((xf) => {
      const id = Number(xf.getAttribute("numFmtId") || 0);
      if (custom.has(id)) return isDateFormat(custom.get(id));
      return BUILTIN_DATE_FORMATS.some(([lo, hi]) => id >= lo && id <= hi);
    });
  }

  function textOfItem(item) {
    return byTag(item, "t")
      .filter((t) => t.parentNode.localName !== "rPh")
      .map((t) => t.textContent)
      .join("");
  }

  function serialDate(serial, is1904) {
    let days = is1904 ? serial + 1462 : serial;
    if (days < 60) days += 1;
    const ms = Math.round(days * 86400000);
    return new Date(Date.UTC(1899, 11, 30) + ms).toISOString().slice(0, 10);
  }

  function columnIndex(ref) {
    let col = 0;
    for (const c of /^[A-Z]+/.exec(ref)[0]) col = col * 26 + (c.charCodeAt(0) - 64);
    return col - 1;
  }

  async function readXlsx(bytes, rules) {
    const read = await unzip(bytes);
    const rootRels = await relationships(read, "");
    const office = Array.from(rootRels.values()).find((r) => r.type.endsWith("/officeDocument"));
    const bookPath = office ? office.target : "xl/workbook.xml";
    const bookText = await read(bookPath);
    if (!bookText) throw new Unreadable("xlsx_unreadable", { error: "XlsxError" });
    const book = xmlOf(bookText);
    const rels = await relationships(read, bookPath);
    const sheets = byTag(book, "sheet").map((s) => ({ name: s.getAttribute("name"), id: s.getAttributeNS(REL_NS, "id") }));
    if (!sheets.length) throw new Unreadable("xlsx_unreadable", { error: "XlsxError" });
    const sheet = sheets.find((s) => s.name === rules.template.sheet) || sheets[0];
    const pr = byTag(book, "workbookPr")[0];
    const is1904 = Boolean(pr) && ["1", "true"].includes(pr.getAttribute("date1904"));
    const sharedRel = Array.from(rels.values()).find((r) => r.type.endsWith("/sharedStrings"));
    const sharedText = sharedRel ? await read(sharedRel.target) : null;
    const shared = sharedText ? byTag(xmlOf(sharedText), "si").map(textOfItem) : [];
    const dates = await dateStyles(read, rels);
    const sheetText = await read(rels.get(sheet.id).target);
    if (!sheetText) throw new Unreadable("xlsx_unreadable", { error: "XlsxError" });
    const grid = [];
    let width = 0;
    byTag(xmlOf(sheetText), "row").forEach((rowEl, rowPos) => {
      const rowNumber = Number(rowEl.getAttribute("r") || rowPos + 1) - 1;
      byTag(rowEl, "c").forEach((cell, cellPos) => {
        const ref = cell.getAttribute("r");
        const col = ref ? columnIndex(ref) : cellPos;
        const value = cellValue(cell, shared, dates, is1904);
        if (value === null) return;
        (grid[rowNumber] ||= [])[col] = value;
        width = Math.max(width, col + 1);
      });
    });
    return Array.from(grid, (row) => Array.from({ length: width }, (_, i) => cellText(row ? row[i] : null)));
  }

  function cellValue(cell, shared, dates, is1904) {
    const type = cell.getAttribute("t") || "n";
    if (type === "inlineStr") {
      const inline = byTag(cell, "is")[0];
      return inline ? textOfItem(inline) : null;
    }
    const v = byTag(cell, "v")[0];
    if (!v) return null;
    const raw = v.textContent;
    if (type === "s") return shared[Number(raw)] ?? null;
    if (type === "str" || type === "d") return type === "d" ? raw.slice(0, 10) : raw;
    if (type === "b") return raw === "1";
    if (type === "e") return null;
    const number = Number(raw);
    if (Number.isNaN(number)) return raw;
    return dates[Number(cell.getAttribute("s") || 0)] ? serialDate(number, is1904) : number;
  }

  // --- entry point ---------------------------------------------------------------------------------

  function detectFormat(name, bytes) {
    const head = bytes.subarray(0, 512);
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return "xlsx";
    let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    while (i < head.length && [0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c].includes(head[i])) i += 1;
    if (/\.xml$/i.test(name) || head[i] === 0x3c) return "xml";
    if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
      const h = head.subarray(0, 8);
      const twoByteLt = h.some((b, k) => b === 0x3c && (h[k + 1] === 0 || (k > 0 && h[k - 1] === 0)));
      return twoByteLt ? "xml" : "csv";
    }
    return "csv";
  }

  /** Check one file's bytes; the report has the shape of ValidationReport.to_dict(). */
  async function validateBytes(name, buffer, rules) {
    const bytes = new Uint8Array(buffer);
    const report = { path: name, format: "?", status: "valid", records: 0, issues: [], message: null, code: null };
    const validator = makeValidator(rules);
    try {
      const max = rules.limits.max_bytes;
      if (bytes.length > max) {
        const mb = (n) => (n / 2 ** 20).toFixed(0);
        throw new Unreadable("file_too_large", { size: mb(bytes.length), limit: mb(max) });
      }
      report.format = detectFormat(name, bytes);
      if (report.format === "xml") validateXml(bytes, report, rules, validator);
      else {
        const rows = report.format === "xlsx" ? await readXlsx(bytes, rules) : readCsv(bytes);
        validateTable(rows, report, rules, validator);
      }
    } catch (error) {
      report.status = "unreadable";
      report.issues = [];
      const why =
        error instanceof Unreadable
          ? error
          : new Unreadable("file_unreadable", { error: error && error.name ? error.name : "Error" });
      report.code = why.code;
      report.message = fill(rules.problems[why.code].message, why.params) + why.where;
    }
    if (report.status !== "unreadable") {
      const failed = report.issues.some((i) => i.level === ERROR);
      const issue = issueMaker(rules);
      if (!report.records && !failed) report.issues.push(issue("no_records", null, null, null, null));
      report.status = failed ? "invalid" : "valid";
    }
    report.exit_code = { valid: 0, invalid: 1 }[report.status] ?? 2;
    return report;
  }

  // --- the page ----------------------------------------------------------------------------------------

  function describe(item, unit, rules) {
    const where = [];
    if (item.row !== null) where.push(`${unit} ${item.row}`);
    if (item.line !== null) where.push(`строка файла ${item.line}`);
    if (item.field) {
      const field = rules.fields.find((f) => f.name === item.field);
      where.push(`поле ${item.field}${field ? ` (${field.title})` : ""}`);
    }
    const value = item.value !== null ? ` — значение «${item.value}»` : "";
    const mark = item.level === WARNING ? "предупреждение: " : "";
    return `${mark}${where.join(", ") || "документ"}: ${item.reason}${value} [${item.code}]`;
  }

  /** Errors and warnings of a report, counted as the CLI counts them. */
  function counts(report) {
    const warnings = report.issues.filter((i) => i.level === WARNING).length;
    return { errors: report.issues.length - warnings, warnings };
  }

  function formatReport(report, rules) {
    if (report.status === "unreadable") return `${report.path}: НЕ ПРОВЕРЕН — ${report.message} [${report.code}]`;
    const unit = report.format === "xml" ? "запись" : "строка";
    const verdict = report.status === "valid" ? "ОШИБОК НЕТ" : "ЕСТЬ ОШИБКИ";
    const { errors, warnings } = counts(report);
    const warned = warnings ? `, предупреждений: ${warnings}` : "";
    const head = `${report.path}: ${verdict} (записей: ${report.records}, ошибок: ${errors}${warned})`;
    return [head, ...report.issues.map((i) => `  ${describe(i, unit, rules)}`)].join("\n");
  }

  function cell(tag, text) {
    const el = document.createElement(tag);
    el.textContent = text === null || text === undefined ? "—" : String(text);
    return el;
  }

  /** A record field's name linked to its entry in the schema documentation, and its Russian title. */
  function fieldCell(td, name, field) {
    td.replaceChildren();
    const link = document.createElement("a");
    link.href = `docs/reference/schema.html#record-${name}`;
    link.className = "vf-token";
    link.textContent = name;
    link.title = "Описание поля в документации схемы";
    td.append(link);
    if (field) td.append(` (${field.title})`);
  }

  function showReport(report, rules) {
    const out = document.getElementById("vf-result");
    out.replaceChildren();
    const summary = document.createElement("p");
    const empty = report.status === "valid" && !report.records;
    summary.className = `vf-verdict vf-${empty ? "empty" : report.status}`;
    summary.id = "vf-verdict";
    const label = { valid: "Ошибок нет", invalid: "Есть ошибки", unreadable: "Файл не проверен" }[report.status];
    const { errors, warnings } = counts(report);
    const warned = warnings ? `, предупреждений: ${warnings}` : "";
    if (report.status === "unreadable") summary.textContent = `${label}: ${report.message}`;
    else if (empty) summary.textContent = "Записей нет: в файле не найдено ни одной записи, проверять нечего.";
    else summary.textContent = `${label}. Записей: ${report.records}, ошибок: ${errors}${warned}.`;
    out.append(summary);
    if (report.issues.length) {
      // XML: the record's number and the line of the file; a table: its row is the file's row.
      const xml = report.format === "xml";
      const wrap = document.createElement("div");
      wrap.className = "vf-scroll table-wrap";
      const table = document.createElement("table");
      table.className = "vf-issues";
      table.id = "vf-issues";
      const what = warnings ? (errors ? "Ошибки и предупреждения" : "Предупреждения") : "Ошибки";
      table.createCaption().textContent = `${what} в файле ${report.path}`;
      const titles = xml
        ? ["Вид", "Запись", "Строка файла", "Поле", "Значение", "Что не так", "Код"]
        : ["Вид", "Строка файла", "Поле", "Значение", "Что не так", "Код"];
      const head = table.createTHead().insertRow();
      for (const title of titles) {
        const th = cell("th", title);
        th.scope = "col";
        head.append(th);
      }
      const body = table.createTBody();
      for (const item of report.issues) {
        const row = body.insertRow();
        if (item.level === WARNING) row.className = "vf-warning";
        const field = rules.fields.find((f) => f.name === item.field);
        const kind = rules.levels[item.level];
        const where = xml ? [item.row, item.line] : [item.row];
        [kind, ...where, item.field, item.value, item.reason, item.code].forEach((value, k) => {
          const td = cell("td", value);
          td.dataset.label = titles[k];
          if (titles[k] === "Поле" && field) fieldCell(td, item.field, field);
          const word = typeof value === "string" && value.length <= 40 && !/\s/.test(value);
          if (titles[k] === "Код" || (titles[k] === "Значение" && word)) td.className = "vf-token";
          if (titles[k].startsWith("Строка") || titles[k] === "Запись") td.className = "vf-num";
          row.append(td);
        });
      }
      wrap.append(table);
      out.append(wrap);
    }
    const text = document.createElement("details");
    text.append(cell("summary", "Отчёт текстом (как у программы проверки)"), cell("pre", formatReport(report, rules)));
    out.append(text);
  }

  function setup() {
    const source = document.getElementById("validator-rules");
    if (!source) return;
    const rules = JSON.parse(source.textContent);
    const input = document.getElementById("vf-file");
    const zone = document.getElementById("vf-drop");
    const api = {
      rules,
      lastReport: null,
      validateBytes: (name, buffer) => validateBytes(name, buffer, rules),
      formatReport: (report) => formatReport(report, rules),
      fits: makeValidator(rules).fits,
    };
    window.openepbValidator = api;

    async function check(file) {
      document.body.dataset.ready = "checking";
      document.getElementById("vf-status").textContent = `Проверяется файл ${file.name}…`;
      const report = await validateBytes(file.name, await file.arrayBuffer(), rules);
      api.lastReport = report;
      showReport(report, rules);
      document.getElementById("vf-status").textContent = `Проверен файл ${file.name}.`;
      document.body.dataset.ready = "checked";
    }

    input.addEventListener("change", () => input.files.length && check(input.files[0]));
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("vf-over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("vf-over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("vf-over");
      const file = event.dataTransfer.files[0];
      if (file) check(file);
    });
    document.body.dataset.ready = "validator";
  }

  setup();
})();
