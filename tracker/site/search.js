// policy-tracker: the site's search (the only script; the rest works without it).
// Results are built with textContent only: page text never becomes markup.
(function () {
  "use strict";
  var PLAIN = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"',
               "\u00bb": '"', "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"};
  function fold(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      c = PLAIN[c] || c;
      if (/\s/.test(c)) { c = " "; }
      out += c.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    }
    return out;
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return String(values[k]); });
  }
  function shown(stamp) { return stamp.slice(0, 10) + " " + stamp.slice(11, 16).replace("-", ":"); }
  function holds(runs, n) {
    for (var i = 0; i < runs.length; i++) { if (runs[i][0] <= n && n <= runs[i][1]) { return true; } }
    return false;
  }
  function excerpt(text, folded, at, length) {
    var node = el("span");
    if (folded.length !== text.length || at < 0) { node.textContent = text.slice(0, 240); return node; }
    var start = Math.max(0, at - 90), end = Math.min(text.length, at + length + 90);
    node.appendChild(document.createTextNode((start > 0 ? "…" : "") + text.slice(start, at)));
    node.appendChild(el("mark", text.slice(at, at + length)));
    node.appendChild(document.createTextNode(text.slice(at + length, end) + (end < text.length ? "…" : "")));
    return node;
  }
  function run() {
    var box = document.getElementById("results");
    var data = window.TRACKER_SEARCH;
    var query = new URLSearchParams(window.location.search).get("q") || "";
    var input = document.getElementById("q");
    if (input) { input.value = query; }
    var needle = fold(query).replace(/ +/g, " ").trim();
    if (!box || !data || !needle) { return; }
    var pages = box.getAttribute("data-pages") || "";
    var t = box.dataset;
    var found = 0;
    data.documents.forEach(function (doc) {
      var versions = {};
      var hits = [];
      doc.paragraphs.forEach(function (p) {
        var folded = fold(p[0]).replace(/ +/g, " ");
        var at = folded.indexOf(needle);
        if (at < 0) { return; }
        p[2].forEach(function (r) { for (var n = r[0]; n <= r[1]; n++) { versions[n] = true; } });
        hits.push([p, folded, at]);
      });
      var numbers = Object.keys(versions).map(Number).sort(function (a, b) { return a - b; });
      if (!numbers.length) { return; }
      found += 1;
      var first = numbers[0], last = numbers[numbers.length - 1], latest = doc.versions.length - 1;
      var section = el("section", "", "hit");
      var title = el("h2");
      var link = el("a", doc.title);
      link.href = pages + encodeURI(doc.id) + "/index.html";
      title.appendChild(link);
      section.appendChild(title);
      var state = last === latest ? t.latest : t.gone + " " + shown(doc.versions[last + 1]);
      section.appendChild(el("p", say(t.found, {n: numbers.length, m: doc.versions.length}) + "; " +
        t.first + " " + shown(doc.versions[first]) + ", " + t.last + " " + shown(doc.versions[last]) +
        " (" + state + ")"));
      hits.sort(function (a, b) { return holds(b[0][2], latest) - holds(a[0][2], latest); });
      var list = el("ul");
      hits.slice(0, 3).forEach(function (hit) {
        var p = hit[0], runs = p[2], end = runs[runs.length - 1][1];
        var item = el("li");
        var a = el("a", shown(doc.versions[end]));
        a.href = pages + encodeURI(doc.id) + "/versions/" + doc.versions[end] + ".html";
        item.appendChild(a);
        if (p[1]) { item.appendChild(el("span", " [" + p[1] + "] ", "note")); }
        item.appendChild(document.createElement("br"));
        item.appendChild(excerpt(p[0], hit[1], hit[2], needle.length));
        list.appendChild(item);
      });
      section.appendChild(list);
      box.appendChild(section);
    });
    box.insertBefore(el("p", found ? say(t.results, {n: found}) : t.none, "summary"), box.firstChild);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", run); } else { run(); }
}());
