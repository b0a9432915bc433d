/* dlt pipeline dashboard: plain JavaScript, no build step, no external URLs.
 * Data is always rendered with textContent, never parsed as HTML. The session token comes from
 * the URL once (?token=…), is kept in sessionStorage and sent as X-Dltc-Token. */
"use strict";

(function () {
  const PAGE = 50;
  const params = new URLSearchParams(window.location.search);
  let token = params.get("token");
  if (token) {
    try { sessionStorage.setItem("dltc_token", token); } catch (e) { /* private mode */ }
    history.replaceState(null, "", window.location.pathname + window.location.hash);
  } else {
    try { token = sessionStorage.getItem("dltc_token"); } catch (e) { token = null; }
  }
  let schema = null;

  /* ---- helpers ---- */
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === "text") e.textContent = String(v);
      else if (k === "class") e.className = v;
      else if (k === "onclick") e.addEventListener("click", v);
      else e.setAttribute(k, String(v));
    }
    for (const c of [].concat(children || [])) {
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }
  function content() { return document.getElementById("content"); }
  function show(...nodes) {
    const c = content();
    c.replaceChildren(...nodes);
  }
  function ready(page) {
    document.body.dataset.page = page;
    document.body.dataset.state = "ready";
  }
  async function api(path, opts) {
    const o = Object.assign({ headers: {} }, opts || {});
    if (token) o.headers["X-Dltc-Token"] = token;
    o.credentials = "same-origin";
    o.cache = "no-store";
    const r = await fetch(path, o);
    let body = null;
    try { body = await r.json(); } catch (e) { body = { error: "bad answer (HTTP " + r.status + ")" }; }
    return { status: r.status, ok: r.ok, body: body };
  }
  function errorBox(msg) { return el("div", { class: "error", role: "alert", id: "error", text: msg }); }
  function facts(pairs) {
    const dl = el("dl", { class: "facts" });
    for (const [k, v] of pairs) {
      dl.appendChild(el("dt", { text: k }));
      dl.appendChild(el("dd", { text: v === null || v === undefined ? "—" : v }));
    }
    return dl;
  }
  function dataTable(columns, rows, headerCell) {
    const thead = el("thead", {}, el("tr", {}, columns.map((c, i) =>
      el("th", { title: c.type || "" }, headerCell ? headerCell(c, i) : c.name))));
    const tbody = el("tbody");
    for (const row of rows) {
      const tr = el("tr");
      row.forEach((v) => tr.appendChild(v === null ? el("td", { class: "null", text: "NULL" })
                                                     : el("td", { text: v, title: v })));
      tbody.appendChild(tr);
    }
    return el("div", { class: "table-wrap" }, el("table", { class: "data" }, [thead, tbody]));
  }
  function parseHash() {
    const h = window.location.hash.replace(/^#\/?/, "");
    const q = h.indexOf("?");
    const path = (q < 0 ? h : h.slice(0, q)).split("/").map(decodeURIComponent);
    const args = new URLSearchParams(q < 0 ? "" : h.slice(q + 1));
    return { page: path[0] || "overview", rest: path.slice(1).join("/"), args: args };
  }
  function hashFor(page, rest, args) {
    let h = "#/" + page + (rest ? "/" + encodeURIComponent(rest) : "");
    const s = new URLSearchParams(args || {}).toString();
    return s ? h + "?" + s : h;
  }

  /* ---- schema and sidebar ---- */
  function depthOf(t, byName) {
    let d = 0, p = t.parent;
    while (p && byName[p] && d < 16) { d++; p = byName[p].parent; }
    return d;
  }
  /* tables in tree order: each root followed by its nested tables */
  function treeOrder(tables) {
    const byName = {}, kids = {};
    for (const t of tables) { byName[t.name] = t; }
    const roots = [];
    for (const t of tables) {
      if (t.parent && byName[t.parent]) (kids[t.parent] = kids[t.parent] || []).push(t);
      else roots.push(t);
    }
    const out = [];
    const walk = (t, d) => { out.push({ t: t, depth: d }); (kids[t.name] || []).forEach((k) => walk(k, d + 1)); };
    roots.forEach((r) => walk(r, 0));
    return { list: out, byName: byName };
  }
  async function loadSchema() {
    const r = await api("/api/schema");
    schema = r.ok ? r.body : { tables: [], error: r.body.error };
    const user = document.getElementById("table-list"), sys = document.getElementById("system-list");
    user.replaceChildren(); sys.replaceChildren();
    for (const { t, depth } of treeOrder(schema.tables || []).list) {
      const li = el("li", { class: depth ? "nested depth-" + Math.min(depth, 4) : "root" },
        el("a", { href: hashFor("tables", t.name), "data-table": t.name, text: t.name }));
      (t.name.startsWith("_dlt_") ? sys : user).appendChild(li);
    }
    if (!user.children.length) user.appendChild(el("li", { class: "muted", text: "no tables yet" }));
  }
  function markNav(page, rest) {
    document.querySelectorAll("#nav a").forEach((a) =>
      a.classList.toggle("active", a.dataset.route === page));
    document.querySelectorAll(".table-list a").forEach((a) =>
      a.classList.toggle("active", page === "tables" && a.dataset.table === rest));
  }

  /* ---- pages ---- */
  async function overview() {
    const r = await api("/api/overview");
    if (!r.ok) return show(el("h1", { text: "Overview" }), errorBox(r.body.error));
    const o = r.body;
    document.getElementById("brand-name").textContent = o.pipeline;
    document.title = "dlt · " + o.pipeline;
    const nodes = [el("h1", { id: "title", text: "Pipeline " + o.pipeline })];
    if (o.dataset_error) nodes.push(el("p", { class: "notice", id: "dataset-error", text: o.dataset_error }));
    nodes.push(el("div", { class: "card", id: "facts" }, facts([
      ["Pipeline", o.pipeline], ["Destination", o.destination], ["Dataset", o.dataset],
      ["Location", o.location], ["Working dir", o.working_dir], ["Pipelines dir", o.pipelines_dir],
      ["Schema", o.schema_name === undefined ? null : o.schema_name + " (version " + o.schema_version + ")"],
      ["Schema version hash", o.schema_version_hash], ["Tables in schema", o.table_count],
      ["First run", o.first_run ? "yes (nothing loaded yet)" : "no"]])));
    nodes.push(el("h2", { text: "Last loads" }));
    if (o.last_loads && o.last_loads.rows.length)
      nodes.push(dataTable(o.last_loads.columns, o.last_loads.rows));
    else nodes.push(el("p", { class: "muted", text: "No loads recorded." }));
    nodes.push(el("h2", { text: "State" }));
    nodes.push(el("pre", { id: "state", text: o.state ? JSON.stringify(o.state, null, 2) : "no state yet" }));
    show(...nodes);
    ready("overview");
  }

  const HINTS = ["primary_key", "merge_key", "unique", "row_key", "parent_key", "root_key",
                 "partition", "cluster", "sort", "dedup_sort", "incremental", "hard_delete"];
  function hintBadges(c) {
    const out = [];
    for (const h of HINTS) if (c[h]) out.push(el("span", { class: "badge", text: h }));
    for (const k of ["precision", "scale", "timezone"])
      if (c[k] !== undefined && c[k] !== null) out.push(el("span", { class: "badge", text: k + "=" + c[k] }));
    return out;
  }
  async function schemaPage() {
    await loadSchema();
    if (schema.error) return show(el("h1", { text: "Schema" }), errorBox(schema.error));
    const nodes = [el("h1", { id: "title", text: "Schema " + (schema.name || "") }),
      el("p", { class: "muted", text: "version " + schema.version + " · " + (schema.version_hash || "") })];
    const tree = treeOrder(schema.tables);
    for (const { t, depth } of tree.list) {
      const rows = t.columns.map((c) => [c.name, c.data_type || "", c.nullable === false ? "no" : "yes", c]);
      const tbl = el("table", { class: "data" }, [
        el("thead", {}, el("tr", {}, ["column", "data type", "nullable", "hints"].map((h) => el("th", { text: h })))),
        el("tbody", {}, rows.map((r) => el("tr", {}, [el("td", { text: r[0] }), el("td", { class: "type", text: r[1] }),
          el("td", { text: r[2] }), el("td", {}, hintBadges(r[3]))])))]);
      const meta = [];
      if (t.parent) meta.push("nested in " + t.parent);
      if (t.write_disposition) meta.push("write disposition " + t.write_disposition);
      if (t.resource) meta.push("resource " + t.resource);
      nodes.push(el("section", { class: "schema-table depth-" + Math.min(depth, 4), id: "schema-" + t.name,
        "data-parent": t.parent || "" }, [
        el("h2", {}, el("a", { href: hashFor("tables", t.name), text: t.name })),
        el("p", { class: "muted", text: meta.join(" · ") }),
        el("div", { class: "table-wrap" }, tbl)]));
    }
    show(...nodes);
    ready("schema");
  }

  async function tablePage(name, args) {
    const offset = Math.max(0, parseInt(args.get("offset") || "0", 10) || 0);
    const limit = Math.min(1000, Math.max(1, parseInt(args.get("limit") || String(PAGE), 10) || PAGE));
    const sort = args.get("sort") || "";
    const dir = args.get("dir") === "desc" ? "desc" : "asc";
    const q = new URLSearchParams({ name: name, offset: offset, limit: limit });
    if (sort) { q.set("sort", sort); q.set("dir", dir); }
    const r = await api("/api/table?" + q.toString());
    if (!r.ok) { show(el("h1", { text: name }), errorBox(r.body.error)); return ready("table"); }
    const t = r.body, total = Number(t.total);
    const link = (o, s, d) => {
      const a = { offset: o, limit: limit };
      if (s) { a.sort = s; a.dir = d; }
      return hashFor("tables", name, a);
    };
    const first = total ? offset + 1 : 0, last = Math.min(offset + t.rows.length, total);
    const pager = el("div", { class: "pager" }, [
      el("a", { class: "button" + (offset > 0 ? "" : " disabled"), id: "prev",
        href: link(Math.max(0, offset - limit), sort, dir), text: "← Previous" }),
      el("span", { id: "range", text: "rows " + first + "–" + last + " of " + total }),
      el("a", { class: "button" + (offset + limit < total ? "" : " disabled"), id: "next",
        href: link(offset + limit, sort, dir), text: "Next →" })]);
    const header = (c) => {
      const on = c.name === sort;
      const nd = on && dir === "asc" ? "desc" : "asc";
      return el("a", { class: "sort" + (on ? " on" : ""), href: link(0, c.name, nd), "data-column": c.name,
        text: c.name + (on ? (dir === "asc" ? " ▲" : " ▼") : "") });
    };
    show(el("h1", { id: "title", text: name }),
      el("p", { class: "muted", id: "sorted", text: sort ? "sorted by " + sort + " " + dir : "unsorted" }),
      pager, dataTable(t.columns, t.rows, header));
    ready("table");
  }

  async function queryPage(args) {
    const sql = args.get("sql") || "";
    const area = el("textarea", { id: "sql", spellcheck: "false", placeholder: "SELECT * FROM ... LIMIT 10" });
    area.value = sql;
    const out = el("div", { id: "result" });
    const run = () => {
      const s = area.value.trim();
      if (!s) return;
      /* the statement goes into the hash: the result page can be reloaded and linked */
      const h = hashFor("query", "", { sql: s });
      if (window.location.hash !== h) window.location.hash = h; else execute(s);
    };
    const execute = async (s) => {
      out.replaceChildren(el("p", { class: "muted", text: "Running…" }));
      const r = await api("/api/query", { method: "POST", body: s, headers: { "Content-Type": "text/plain" } });
      if (!r.ok) out.replaceChildren(errorBox(r.body.error));
      else {
        const b = r.body;
        const info = el("p", { class: "muted", id: "row-count", text: b.rows.length + " row(s)" });
        out.replaceChildren(info, dataTable(b.columns, b.rows));
        if (b.truncated) out.appendChild(el("p", { class: "notice", id: "truncated", text: "truncated at " + b.max_rows + " rows" }));
      }
      ready("query");
    };
    show(el("h1", { id: "title", text: "SQL query" }),
      el("p", { class: "muted", text: "One read-only statement against the dataset; results are limited in rows." }),
      area, el("p", {}, el("button", { class: "primary", id: "run", onclick: run, text: "Run" })), out);
    if (sql) await execute(sql); else ready("query");
  }

  async function loadsPage() {
    const r = await api("/api/loads");
    if (!r.ok) { show(el("h1", { text: "Loads" }), errorBox(r.body.error)); return ready("loads"); }
    show(el("h1", { id: "title", text: "Loads" }),
      el("p", { class: "muted", text: "Rows of _dlt_loads, newest first (status 0: loaded)." }),
      dataTable(r.body.columns, r.body.rows));
    ready("loads");
  }

  async function tracePage() {
    const r = await api("/api/trace");
    if (!r.ok) { show(el("h1", { text: "Trace" }), errorBox(r.body.error)); return ready("trace"); }
    const b = r.body;
    show(el("h1", { id: "title", text: "Last trace" }),
      b.trace ? el("pre", { id: "trace", text: b.trace }) : el("p", { class: "notice", id: "trace", text: b.trace_error || "no trace" }),
      el("h2", { text: "Failed jobs" }),
      el("pre", { id: "failed-jobs", text: b.failed_jobs || "no failed jobs" }));
    ready("trace");
  }

  async function route() {
    document.body.dataset.state = "loading";
    const { page, rest, args } = parseHash();
    markNav(page, rest);
    try {
      if (page === "schema") await schemaPage();
      else if (page === "tables" && rest) await tablePage(rest, args);
      else if (page === "query") await queryPage(args);
      else if (page === "loads") await loadsPage();
      else if (page === "trace") await tracePage();
      else await overview();
    } catch (e) {
      show(errorBox("the dashboard could not load this page: " + e));
      ready("error");
    }
    markNav(page, rest);
  }

  window.addEventListener("hashchange", route);
  document.addEventListener("DOMContentLoaded", async () => {
    if (!token) {
      show(el("h1", { text: "dlt dashboard" }), errorBox("No session token: open the URL that `dlt pipeline NAME show` printed."));
      ready("error");
      return;
    }
    await loadSchema().catch(() => {});
    await route();
  });
})();
