/* pykyverno posture report: filters, search and paging of the findings table. The data is inlined in the page
   (script#report-data, see pagedata.py); nothing is fetched. Strings from the cluster are only set as textContent. */
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source) { document.documentElement.dataset.ready = "true"; return; }
  var D = JSON.parse(source.textContent);
  /* row: [cluster, object, policy, result, severity, message, fieldset]; object: [namespace, kind, name];
     policy: [name, title, category, remediation, description]; field: [path, present, value] */
  var S = D.strings, P = D.policies, O = D.objects, F = D.fields, FS = D.fieldsets, R = D.rows;
  var RES = D.results, SEV = D.severities, PAGE = 100;
  var state = { q: "", cluster: "", severity: "", result: "", ns: "", policy: "", category: "", shown: PAGE };
  var SELECTS = [["f-cluster", "cluster"], ["f-severity", "severity"], ["f-result", "result"], ["f-ns", "ns"],
                 ["f-policy", "policy"]];
  var multi = D.clusters.length > 1, hay = null, open = {};

  function $(id) { return document.getElementById(id); }
  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }
  function resource(row) {
    var o = O[row[1]], ns = S[o[0]];
    return S[o[1]] + "/" + (ns ? ns + "/" : "") + S[o[2]];
  }
  function options(select, values, labels) {
    if (!select) { return; }
    values.forEach(function (v, i) {
      var o = node("option", "", labels[i]);
      o.value = v;
      select.appendChild(o);
    });
  }

  var namespaces = {}, policies = {};
  O.forEach(function (o) { namespaces[S[o[0]]] = 1; });
  P.forEach(function (p) { policies[S[p[0]]] = 1; });
  var nsValues = Object.keys(namespaces).sort(), policyValues = Object.keys(policies).sort();
  /* Namespace filter values are "=" + name, so that "" (all) differs from cluster-scoped objects ("="). */
  options($("f-ns"), nsValues.map(function (n) { return "=" + n; }),
          nsValues.map(function (n) { return n || "(cluster-scoped)"; }));
  options($("f-policy"), policyValues, policyValues);

  function haystack() {
    if (hay === null) {
      hay = R.map(function (row) {
        var p = P[row[2]], o = O[row[1]];
        return [resource(row), S[o[1]] + "/" + S[o[2]], S[p[0]], S[p[1]], S[row[5]], D.clusters[row[0]]]
          .join("\u0000").toLowerCase();
      });
    }
    return hay;
  }

  function visible() {
    var out = [], q = state.q.toLowerCase().trim(), words = q ? q.split(/\s+/) : [];
    var h = words.length ? haystack() : null;
    for (var i = 0; i < R.length; i++) {
      var row = R[i];
      if (state.cluster !== "" && String(row[0]) !== state.cluster) { continue; }
      if (state.severity && SEV[row[4]] !== state.severity) { continue; }
      if (state.result && RES[row[3]] !== state.result) { continue; }
      if (state.ns !== "" && "=" + S[O[row[1]][0]] !== state.ns) { continue; }
      if (state.policy && S[P[row[2]][0]] !== state.policy) { continue; }
      if (state.category && S[P[row[2]][2]] !== state.category) { continue; }
      var ok = true;
      for (var w = 0; w < words.length && ok; w++) { ok = h[i].indexOf(words[w]) !== -1; }
      if (ok) { out.push(i); }
    }
    return out;
  }

  function details(row) {
    var tr = node("tr", "details"), td = node("td"), p = P[row[2]];
    td.colSpan = 5;
    var box = node("div", "detail-grid"), left = node("div"), right = node("div");
    left.appendChild(node("h4", "", "Message"));
    left.appendChild(node("p", "message", S[row[5]] || "(no message)"));
    left.appendChild(node("h4", "", "Fields the policy read"));
    if (row[6] < 0) {
      left.appendChild(node("p", "muted", "Not recorded by this scan: it records them for the first " +
                            D.explainedPerPolicy + " findings of each policy in each cluster. explain_violation " +
                            "reads them for any resource."));
    } else if (FS[row[6]].length) {
      var t = node("table", "fields"), body = node("tbody");
      FS[row[6]].forEach(function (fi) {
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
    right.appendChild(node("h4", "", "How to fix it"));
    right.appendChild(node("p", "", S[p[3]] || "The policy gives no remediation; see its description."));
    right.appendChild(node("h4", "", "The policy"));
    right.appendChild(node("p", "", (S[p[1]] ? S[p[1]] + ". " : "") + S[p[4]]));
    right.appendChild(node("p", "muted small", "Policy " + S[p[0]] + (S[p[2]] ? " · " + S[p[2]] : "") +
                           (multi ? " · cluster " + D.clusters[row[0]] : "")));
    box.appendChild(left);
    box.appendChild(right);
    td.appendChild(box);
    tr.appendChild(td);
    return tr;
  }

  function line(i) {
    var row = R[i], tr = node("tr", "finding"), sev = node("td"), obj = node("td", "object");
    tr.tabIndex = 0;
    tr.setAttribute("aria-expanded", open[i] ? "true" : "false");
    tr.dataset.row = String(i);
    sev.appendChild(node("span", "badge sev-" + SEV[row[4]], SEV[row[4]]));
    tr.appendChild(sev);
    tr.appendChild(node("td", "res-" + RES[row[3]], RES[row[3]]));
    if (multi) { obj.appendChild(node("span", "muted", D.clusters[row[0]] + " / ")); }
    obj.appendChild(document.createTextNode(resource(row)));
    tr.appendChild(obj);
    tr.appendChild(node("td", "policy", S[P[row[2]][0]]));
    tr.appendChild(node("td", "message", S[row[5]]));
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
    $("f-count").dataset.matching = String(rows.length);
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

  function setFilters(values) {
    state.q = values.q || "";
    state.cluster = values.cluster || "";
    state.ns = values.ns === undefined ? "" : "=" + values.ns;
    state.category = values.category || "";
    state.severity = state.result = state.policy = "";
    state.shown = PAGE;
    $("f-q").value = state.q;
    SELECTS.forEach(function (pair) { var s = $(pair[0]); if (s) { s.value = state[pair[1]]; } });
    render();
  }

  var body = $("findings-body"), timer = null;
  body.addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr.finding");
    if (tr) { toggle(tr); }
  });
  body.addEventListener("keydown", function (ev) {
    var tr = ev.target.closest("tr.finding");
    if (tr && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); toggle(tr); }
  });
  $("f-q").addEventListener("input", function (ev) {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = ev.target.value; state.shown = PAGE; render(); }, 120);
  });
  SELECTS.forEach(function (pair) {
    var select = $(pair[0]);
    if (select) {
      select.addEventListener("change", function () { state[pair[1]] = select.value; state.shown = PAGE; render(); });
    }
  });
  $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); });
  $("f-more").addEventListener("click", function () { state.shown += PAGE; render(); });
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
  document.documentElement.dataset.readyMs = String(Math.round(performance.now()));
  document.documentElement.dataset.ready = "true";
})();
