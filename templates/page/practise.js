/* derive practise mode: the worksheet's blanks as fields, marked as they are entered.
 *
 * Reads the payload (#derive-practise-data) and the compiled step functions
 * (window.deriveFns), builds nothing from text as code, and attaches its listeners here
 * (no inline handlers: the page's content security policy allows only hashed scripts).
 * Hooks for tests and people: window.derive.setAnswers({stepId: text}), .results(),
 * .variant(i), .read(text).
 */
(function () {
  "use strict";
  var root = document.getElementById("practise");
  var holder = document.getElementById("derive-practise-data");
  if (!root || !holder) return;
  var data = JSON.parse(holder.textContent);
  var marker = new window.deriveMark.Marker(data, window.deriveFns);
  var rules = data.rules, current = 0, last = {};
  var fields = {}, outputs = {};

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function answers() {
    var out = {};
    Object.keys(fields).forEach(function (sid) { out[sid] = fields[sid].value; });
    return out;
  }

  function points(x) { return String(Math.round(x * 100) / 100); }

  function show(sid, r) {
    var input = fields[sid], out = outputs[sid];
    out.textContent = "";
    if (r.verdict === "missing") {
      input.removeAttribute("data-verdict");
      input.removeAttribute("aria-invalid");
      out.removeAttribute("data-verdict");
      return;
    }
    input.setAttribute("data-verdict", r.verdict);
    out.setAttribute("data-verdict", r.verdict);
    input.setAttribute("aria-invalid", r.verdict === "wrong" || r.verdict === "invalid" ? "true" : "false");
    var head = el("strong", {}, (rules.symbols[r.verdict] || "") + " " + r.verdict);
    out.appendChild(head);
    out.appendChild(document.createTextNode(" " + points(r.points) + "/" + points(r.max_points)));
    var notes = r.remarks.slice();
    if (r.follows.length) notes.unshift("from your " + r.follows.join(", "));
    if (notes.length) out.appendChild(el("span", { "class": "remark" }, " (" + notes.join("; ") + ")"));
    if (r.diagnosis) out.appendChild(el("span", { "class": "diagnosis" }, " " + r.diagnosis));
  }

  function markAll() {
    last = marker.mark(current, answers());
    var score = 0, max = 0;
    Object.keys(last).forEach(function (sid) { show(sid, last[sid]); score += last[sid].points; max += last[sid].max_points; });
    score = Math.round(score * 1e6) / 1e6;
    var pct = max ? Math.round(1000 * score / max) / 10 : 0;
    root.querySelector(".score").textContent = "Score: " + points(score) + " of " + points(max) + " (" + pct + "%)";
    return last;
  }

  function showVariant() {
    var v = data.variants[current], list = root.querySelector(".givens");
    root.querySelector(".variant-id").textContent = v.id + " (" + (current + 1) + " of " + data.variants.length + ")";
    list.textContent = "";
    v.givens.forEach(function (g) { list.appendChild(el("li", {}, g[0] + " = " + g[1])); });
  }

  function variant(i) {
    current = ((i % data.variants.length) + data.variants.length) % data.variants.length;
    showVariant();
    return markAll();
  }

  function yamlText() {
    var v = data.variants[current];
    var lines = ["# Answers to worksheet " + v.id + ", typed in practise mode.", "variant: " + JSON.stringify(v.id)];
    data.questions.forEach(function (q) {
      var text = fields[q.id].value.trim();
      lines.push(q.id + ": " + (text ? JSON.stringify(text) : "") + "   # Q" + q.n + ": " + q.text);
    });
    return lines.join("\n") + "\n";
  }

  function download() {
    var blob = new Blob([yamlText()], { type: "application/x-yaml" });
    var a = el("a", { href: URL.createObjectURL(blob), download: data.variants[current].id + "-answers.yaml" });
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  // ---- the fields, in question order
  var list = root.querySelector(".questions");
  data.questions.forEach(function (q) {
    var li = el("li", { "class": "question" });
    var id = "practise-" + q.id;
    var label = el("label", { "for": id });
    label.appendChild(el("span", { "class": "qnum" }, "Q" + q.n + ". "));
    label.appendChild(el("code", {}, q.id));
    label.appendChild(el("span", { "class": "qtext" }, " " + q.text));
    var input = el("input", { id: id, type: "text", "data-step": q.id, autocomplete: "off", spellcheck: "false",
      inputmode: "text", "aria-describedby": id + "-verdict" });
    var out = el("output", { id: id + "-verdict", "for": id, "aria-live": "polite", "class": "verdict" });
    input.addEventListener("change", markAll);
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") markAll(); });
    li.appendChild(label);
    li.appendChild(input);
    li.appendChild(out);
    list.appendChild(li);
    fields[q.id] = input;
    outputs[q.id] = out;
  });
  root.querySelector(".new-numbers").addEventListener("click", function () {
    // new numbers, a fresh start: the answers to the old ones would all be wrong
    Object.keys(fields).forEach(function (sid) { fields[sid].value = ""; });
    variant(current + 1);
  });
  root.querySelector(".download").addEventListener("click", download);
  if (data.variants.length < 2) root.querySelector(".new-numbers").hidden = true;
  showVariant();
  markAll();

  window.derive = Object.assign(window.derive || {}, {
    setAnswers: function (given) {
      Object.keys(given).forEach(function (sid) { if (fields[sid]) fields[sid].value = given[sid] === null ? "" : String(given[sid]); });
      return markAll();
    },
    clearAnswers: function () { Object.keys(fields).forEach(function (sid) { fields[sid].value = ""; }); return markAll(); },
    results: function () { return last; },
    variant: variant,
    read: function (text) { return window.deriveMark.read(text, data.reader.symbols); },
    answersYaml: yamlText,
  });
})();
