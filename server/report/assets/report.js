/* pykyverno posture report: filters, search and paging of the findings table. The data is inlined in the page
   (script#report-data); nothing is fetched. Strings from the cluster are only ever set as textContent. */
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source) { return; }
  var D = JSON.parse(source.textContent);
  var S = D.strings, P = D.policies, F = D.fields, R = D.rows, RES = D.results, SEV = D.severities;
  var PAGE = 100;
  var state = { q: "", cluster: "", severity: "", result: "", ns: "", policy: "", category: "", shown: PAGE };
  var multi = D.clusters.length > 1;
  var hay = null;
  var open = {};

  function $(id) { return document.getElementById(id); }
  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }
  function resource(row) {
    var ns = S[row[1]];
    return S[row[2]] + "/" + (ns ? ns + "/" : "") + S[row[3]];
  }
  function options(select, values, labels) {
    if (!select) { return; }
    values.forEach(function (v, i) {
      var o = node("option", "", labels ? labels[i] : v);
      o.value = v;
      select.appendChild(o);
    });
  }

  var namespaces = {}, policies = {};
  R.forEach(function (row) { namespaces[S[row[1]]] = 1; policies[S[P[row[4]][0]]] = 1; });
  var nsValues = Object.keys(namespaces).sort();
  options($("f-ns"), nsValues.map(function (n) { return "=" + n; }), nsValues.map(function (n) { return n || "(cluster-scoped)"; }));
  options($("f-policy"), Object.keys(policies).sort());

  function haystack() {
    if (hay === null) {
      hay = R.map(function (row) {
        var p = P[row[4]];
        return (resource(row) + "\u0000" + S[row[2]] + "/" + S[row[3]] + "\u0000" + S[p[0]] + "\u0000" + S[p[1]] + "\u0000" + S[row[7]] + "\u0000" +
                D.clusters[row[0]]).toLowerCase();
      });
    }
    return hay;
  }

  function visible() {
    var out = [], q = state.q.toLowerCase().trim(), words = q ? q.split(/\s+/) : [], h = words.length ? haystack() : null;
    for (var i = 0; i < R.length; i++) {
      var row = R[i];
      if (state.cluster !== "" && String(row[0]) !== state.cluster) { continue; }
      if (state.severity && SEV[row[6]] !== state.severity) { continue; }
      if (state.result && RES[row[5]] !== state.result) { continue; }
      if (state.ns !== "" && "=" + S[row[1]] !== state.ns) { continue; }
      if (state.policy && S[P[row[4]][0]] !== state.policy) { continue; }
      if (state.category && S[P[row[4]][2]] !== state.category) { continue; }
      var ok = true;
      for (var w = 0; w < words.length && ok; w++) { ok = h[i].indexOf(words[w]) !== -1; }
      if (ok) { out.push(i); }
    }
    return out;
  }

  function details(row) {
    var tr = node("tr", "details"), td = node("td");
    td.colSpan = 5;
    var p = P[row[4]];
    var box = node("div", "detail-grid");
    var left = node("div");
    left.appendChild(node("h4", "", "Message"));
    left.appendChild(node("p", "message", S[row[7]] || "(no message)"));
    left.appendChild(node("h4", "", "Fields the policy read"));
    if (row[8].length) {
      var t = node("table", "fields"), body = node("tbody");
      row[8].forEach(function (fi) {
        var f = F[fi], r = node("tr");
        r.appendChild(node("td", "path", S[f[0]]));
        r.appendChild(f[1] ? node("td", "value", S[f[2]]) : node("td", "value unset", "not set"));
        body.appendChild(r);
      });
      t.appendChild(body);
      left.appendChild(t);
    } else {
      left.appendChild(node("p", "muted", "No field could be read from the expression."));
    }
    var right = node("div");
    right.appendChild(node("h4", "", "How to fix it"));
    right.appendChild(node("p", "", S[p[3]] || "The policy gives no remediation; see its description."));
    right.appendChild(node("h4", "", "The policy"));
    right.appendChild(node("p", "", (S[p[1]] ? S[p[1]] + ". " : "") + S[p[4]]));
    var meta = node("p", "muted small", "Policy " + S[p[0]] + (S[p[2]] ? " · " + S[p[2]] : "") +
                    (multi ? " · cluster " + D.clusters[row[0]] : ""));
    right.appendChild(meta);
    box.appendChild(left);
    box.appendChild(right);
    td.appendChild(box);
    tr.appendChild(td);
    return tr;
  }

  function line(i) {
    var row = R[i], tr = node("tr", "finding");
    tr.tabIndex = 0;
    tr.setAttribute("aria-expanded", open[i] ? "true" : "false");
    tr.dataset.row = String(i);
    var sev = node("td"), badge = node("span", "badge sev-" + SEV[row[6]], SEV[row[6]]);
    sev.appendChild(badge);
    tr.appendChild(sev);
    tr.appendChild(node("td", "res-" + RES[row[5]], RES[row[5]]));
    var obj = node("td", "object");
    if (multi) { obj.appendChild(node("span", "muted", D.clusters[row[0]] + " / ")); }
    obj.appendChild(document.createTextNode(resource(row)));
    tr.appendChild(obj);
    tr.appendChild(node("td", "policy", S[P[row[4]][0]]));
    tr.appendChild(node("td", "message", S[row[7]]));
    return tr;
  }

  function render() {
    var rows = visible(), body = $("findings-body"), frag = document.createDocumentFragment();
    var n = Math.min(rows.length, state.shown);
    for (var k = 0; k < n; k++) {
      frag.appendChild(line(rows[k]));
      if (open[rows[k]]) { frag.appendChild(details(R[rows[k]])); }
    }
    body.textContent = "";
    body.appendChild(frag);
    $("f-count").textContent = "Showing " + n + " of " + rows.length + " matching findings (" + R.length + " in all)";
    $("f-more").hidden = rows.length <= n;
    var cat = $("f-category");
    cat.textContent = "";
    if (state.category) {
      var chip = node("button", "chip clear", "category: " + state.category + " ×");
      chip.type = "button";
      chip.addEventListener("click", function () { state.category = ""; state.shown = PAGE; render(); });
      cat.appendChild(chip);
    }
  }

  function toggle(tr) {
    var i = Number(tr.dataset.row);
    if (open[i]) { delete open[i]; } else { open[i] = true; }
    render();
  }

  var body = $("findings-body");
  body.addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr.finding");
    if (tr) { toggle(tr); }
  });
  body.addEventListener("keydown", function (ev) {
    var tr = ev.target.closest("tr.finding");
    if (tr && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); toggle(tr); }
  });

  var timer = null;
  $("f-q").addEventListener("input", function (ev) {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = ev.target.value; state.shown = PAGE; render(); }, 120);
  });
  [["f-cluster", "cluster"], ["f-severity", "severity"], ["f-result", "result"], ["f-ns", "ns"],
   ["f-policy", "policy"]].forEach(function (pair) {
    var select = $(pair[0]);
    if (select) {
      select.addEventListener("change", function () { state[pair[1]] = select.value; state.shown = PAGE; render(); });
    }
  });
  $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); });
  $("f-more").addEventListener("click", function () { state.shown += PAGE; render(); });

  function setFilters(values) {
    state.q = values.q || ""; state.cluster = values.cluster || "";
    state.ns = values.ns === undefined ? "" : "=" + values.ns;
    state.category = values.category || ""; state.severity = ""; state.result = ""; state.policy = "";
    state.shown = PAGE;
    $("f-q").value = state.q;
    [["f-cluster", "cluster"], ["f-severity", "severity"], ["f-result", "result"], ["f-ns", "ns"],
     ["f-policy", "policy"]].forEach(function (pair) { var s = $(pair[0]); if (s) { s.value = state[pair[1]]; } });
    render();
  }
  $("f-reset").addEventListener("click", function () { open = {}; setFilters({}); });
  document.querySelectorAll("a.filter-link").forEach(function (a) {
    a.addEventListener("click", function () {
      setFilters({ q: a.dataset.q, cluster: multi ? a.dataset.cluster : "", ns: a.dataset.ns,
                   category: a.dataset.category });
    });
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  render();
  document.documentElement.dataset.ready = "true";
})();
