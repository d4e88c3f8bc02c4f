/* derive practise mode: marking one set of answers, as derive.teach.marking.Checker does.
 *
 * Each function here mirrors one of the Checker's methods (the names say which); the
 * rules' numbers and sentences come from the payload's ``rules`` (written by Python).
 */
(function () {
  "use strict";
  var M = window.deriveMark, call = M.call;

  function Marker(data, fns) {
    this.d = data;
    this.fns = fns;
    this.rules = data.rules;
    this.o = data.rules.options;
    this.EPS = data.rules.epsilon;
    this.noise = data.rules.noise;  // diagnosis.NOISE
    this.dec = data.rules.decimals;
    this.halfD = data.rules.half[this.dec] + this.EPS;  // Checker._half
    M.F.P10 = data.rules.pow10;
    M.setReader(data.reader);
    this.symbols = data.reader.symbols;
    this.qindex = {};
    var self = this;
    data.questions.forEach(function (q, i) { self.qindex[q.id] = i; });
  }

  Marker.prototype.within = function (v, t, allowed) { return Math.abs(v - t) <= allowed + this.EPS; };
  Marker.prototype.half = function (p) { var h = this.rules.half; return p < h.length ? h[p] : 0.5 * Math.pow(10, -p); };

  Marker.prototype.keyEnv = function (vi) {  // Checker.key_env
    var v = this.d.variants[vi], env = {};
    this.d.names.forEach(function (n, i) { env[n] = v.key[i] === null ? NaN : v.key[i]; });
    return env;
  };

  // ---- precision (teach.precision)
  function sigfigs(value, places) {
    if (value === 0) return 0;
    return Math.max(0, places + Math.floor(Math.log10(Math.abs(value))) + 1);
  }
  Marker.prototype.grade = function (s) {
    if (s.exact || s.places === null || s.places >= this.dec) return { factor: 1, remark: null };
    var row = this.rules.grades[String(s.places)], g = row[Math.min(sigfigs(s.value, s.places), 3)];
    return { factor: g[0], remark: g[1] };
  };
  Marker.prototype.tolerance = function (s) {
    return this.half(s.places === null ? this.dec : Math.min(s.places, this.dec));
  };
  Marker.prototype.spread = function (s) {
    return s.exact ? 0 : this.half(s.places === null ? this.dec : s.places);
  };

  // ---- one submission
  Marker.prototype.mark = function (vi, answers) {  // Checker.mark
    var key = this.keyEnv(vi), work = { mine: {}, cur: Object.assign({}, key) }, results = {}, self = this;
    this.d.order.forEach(function (sid) {
      results[sid] = self.markStep(vi, key, self.qindex[sid], answers[sid], work);
    });
    var out = {};
    this.d.questions.forEach(function (q) { out[q.id] = results[q.id]; });
    return out;
  };

  Marker.prototype.markStep = function (vi, key, qi, raw, work) {  // Checker._mark_step
    var q = this.d.questions[qi], sid = q.id, v = this.d.variants[vi];
    var r = { question: q.n, verdict: "missing", given: null, expected: key[sid], follows: [], remarks: [],
      diagnosis: null, misconception: null, possibilities: [], points: 0, max_points: q.points };
    if (raw === null || raw === undefined || !String(raw).trim()) return r;
    var ans;
    try { ans = M.read(raw, this.symbols); } catch (e) {
      if (!(e instanceof M.AnswerError)) throw e;
      r.verdict = "invalid"; r.given = Array.from(String(raw)).slice(0, 80).join(""); r.remarks = [e.message];
      return r;
    }
    r.given = ans.text;
    if (ans.symbolic) return this.markFormula(sid, ans, r);
    if (ans.percent && !v.unit[qi]) { r.verdict = "invalid"; r.remarks = [this.rules.text.percent]; return r; }
    var exact;
    if (ans.number) exact = v.short[qi] !== null && ans.value === v.short[qi];
    else exact = v.rational[qi] !== null && ans.rational !== null && ans.rational.p + "/" + ans.rational.q === v.rational[qi];
    var claim = ans.number && ans.places === 0 && v.whole[qi];
    var stated = { value: ans.value, places: ans.places, exact: exact || claim || (ans.number && ans.places === null) };
    var worth = this.grade(stated);
    if (worth.factor > 0 && !(ans.value === 0 && key[sid] !== 0)) {
      work.mine[sid] = this.spread(stated); work.cur[sid] = ans.value;
    }
    var drift = v.drift[qi] === null ? NaN : v.drift[qi];  // (a key beyond float64)
    if (worth.factor === 0) {
      this.tooRough(sid, key, drift, stated, r);
      if (worth.remark) r.remarks.push(worth.remark);
      return r;
    }
    if (exact) r.verdict = "correct";
    else this.relate(sid, key, drift, stated, ans.places, work, r);
    this.score(r, worth);
    return r;
  };

  Marker.prototype.score = function (r, worth) {  // Checker._score
    var o = this.o, credit = r.verdict === "correct" ? 1 : r.verdict === "follow-through" ? o.follow_through_credit : 0;
    if (r.verdict === "slip") credit = Math.max(0, (r.follows.length ? o.follow_through_credit : 1) - o.slip_penalty);
    if (worth.remark) r.remarks.push(worth.remark);
    if (r.verdict !== "wrong" && worth.factor < 1) r.verdict = "imprecise";
    r.points = Number((r.max_points * credit * worth.factor).toFixed(6));
  };

  Marker.prototype.relate = function (sid, key, drift, stated, places, work, r) {  // Checker._relate
    var v = stated.value, expected = key[sid], tol = this.tolerance(stated);
    if (this.within(v, expected, tol + drift + this.o.rtol * Math.abs(expected))) { r.verdict = "correct"; return; }
    var f = this.follow(sid, key, v, tol, work);
    if (f.verdict !== null) {
      r.verdict = f.verdict; r.follows = f.off;
      if (!f.off.length) r.remarks.push(this.rules.text.carried);
      return;
    }
    var envs = f.used.length ? [[false, key, drift], [true, work.cur, f.spread]] : [[false, key, drift]];
    if (places !== null) tol = this.half(Math.min(places, this.dec));
    var slips = this.slip(sid, v, tol, places, envs);
    if (slips.found.length) {
      var m = slips.found[0], fromOwn = slips.own[m] && f.off.length > 0, step = this.d.steps[sid];
      r.verdict = "slip"; r.follows = fromOwn ? f.off : []; r.misconception = m;
      r.diagnosis = m === this.rules.truncated.name ? this.rules.truncated.message : step.msg[m];
      r.remarks.push((fromOwn ? this.rules.text.follows + f.off.join(", ") + "; " : "") + this.d.titles[m]);
      return;
    }
    r.verdict = "wrong";
    this.nameMisconception(sid, v, tol, places, envs, f.off, r);
  };

  Marker.prototype.follow = function (sid, key, v, tol, work) {  // Checker._follow
    var st = this.d.steps[sid], mine = work.mine, cur = work.cur, self = this;
    var used = st.deps.filter(function (d) { return d in mine; });
    var off = used.filter(function (d) { return !self.within(cur[d], key[d], Math.max(mine[d], self.halfD)); });
    var f = this.fns[st.f], a = call(f, cur), room = tol + this.o.rtol * Math.abs(a || 0);
    var verdict = off.length ? "follow-through" : "correct";
    if (a !== null && this.within(v, a, room)) return { verdict: verdict, off: off, used: used, spread: 0 };
    var total = 0;
    used.forEach(function (dep) { if (mine[dep]) total += Math.abs(call(self.fns[st.d[dep]], cur) || 0) * mine[dep]; });
    var found = a !== null && this.within(v, a, room + total);
    if (!found && used.length < st.deps.length) {
      var shown = Object.assign({}, cur);
      st.deps.forEach(function (dep) { if (!(dep in mine)) shown[dep] = M.F.rnd(key[dep], self.dec); });
      a = call(f, shown);
      found = a !== null && this.within(v, a, tol + total + this.o.rtol * Math.abs(a));
    }
    return { verdict: found ? verdict : null, off: off, used: used, spread: total };
  };

  Marker.prototype.tooRough = function (sid, key, drift, stated, r) {  // Checker._too_rough
    if (this.within(stated.value, key[sid], this.tolerance(stated) + drift)) { r.verdict = "imprecise"; return; }
    r.verdict = "wrong";
    if (stated.places === 0) this.nameMisconception(sid, stated.value, 0, null, [[false, key, 0]], [], r);
  };

  Marker.prototype.nameMisconception = function (sid, v, tol, places, envs, off, r) {  // Checker._name_misconception
    var step = this.d.steps[sid], found = this.explain(step.mis, v, tol, places, envs), self = this;
    if (found.found.length === 1) {
      var m = found.found[0];
      r.misconception = m; r.diagnosis = step.msg[m];
      if (found.own[m]) r.follows = off;
      if (found.truncated[m]) r.remarks.push(this.rules.text.then_cut);
    } else if (found.found.length) {
      r.possibilities = found.found.map(function (n) { return self.d.titles[n]; });
      r.diagnosis = this.rules.text.several + r.possibilities.join("; ") + ".";
    }
  };

  // ---- diagnosis (teach.diagnosis)
  function Explanation() { this.found = []; this.own = {}; this.truncated = {}; }
  Explanation.prototype.add = function (name, own, truncated) {
    if (name in this.own) {
      this.own[name] = this.own[name] && own;
      this.truncated[name] = this.truncated[name] && truncated;
      return;
    }
    this.found.push(name); this.own[name] = own; this.truncated[name] = truncated;
  };

  Marker.prototype.cutOff = function (v, a, spread, places) {  // diagnosis.cut_off
    if (places > 15) return false;
    var lo = M.F.trunc(a - spread, places), hi = M.F.trunc(a + spread, places), eps = this.noise * (1 + Math.abs(a));
    return lo - eps <= v && v <= hi + eps && !this.within(v, a, this.half(places) + spread);
  };

  Marker.prototype.explain = function (pairs, v, tol, places, envs) {  // Diagnoser.explain
    var out = new Explanation(), self = this;
    envs.forEach(function (e) {
      pairs.forEach(function (pair) {
        var a = call(self.fns[pair[1]], e[1]);
        if (a === null) return;
        if (self.within(v, a, tol + e[2] + self.noise * (1 + Math.abs(a)))) out.add(pair[0], e[0], false);
        else if (places && self.cutOff(v, a, e[2], places)) out.add(pair[0], e[0], true);
      });
    });
    return out;
  };

  Marker.prototype.slip = function (sid, v, tol, places, envs) {  // Diagnoser.slip
    var out = new Explanation(), step = this.d.steps[sid], self = this, name = this.rules.truncated.name;
    if (places) {
      envs.forEach(function (e) {
        var a = call(self.fns[step.f], e[1]);
        if (a !== null && self.cutOff(v, a, e[2], places)) out.add(name, e[0], false);
      });
    }
    var early = this.explain(step.slips, v, tol, places, envs);
    early.found.forEach(function (m) { out.add(m, early.own[m], false); });
    return out;
  };

  // ---- a formula answer (Checker._mark_formula, agreement.equivalent at the same points)
  Marker.prototype.markFormula = function (sid, ans, r) {
    var step = this.d.steps[sid], self = this, formula = this.fns[step.f];
    var plainNames = new Set(step.vars);
    ans.names.forEach(function (n) { plainNames.add(n); });
    var same = this.equivalent(plainNames, function (env) { return M.evaluate(ans.tree, env); }, function (env) { return formula(env); });
    if (!same) {  // the step's inputs written out: each input replaced by its own formula
      var names = new Set(), deps = new Set(step.deps);
      var expand = function (n) {
        if (deps.has(n)) self.d.steps[n].vars.forEach(function (x) { names.add(x); });
        else names.add(n);
      };
      ans.names.forEach(expand);
      step.vars.forEach(expand);
      var withDeps = function (env) {
        var e = Object.assign({}, env);
        step.deps.forEach(function (d) { e[d] = self.fns[self.d.steps[d].f](env); });
        return e;
      };
      same = this.equivalent(names, function (env) { return M.evaluate(ans.tree, withDeps(env)); },
        function (env) { return formula(withDeps(env)); });
    }
    r.verdict = same ? "correct" : "wrong";
    r.points = same ? r.max_points : 0;
    if (!same) r.remarks.push("not equivalent to " + step.formula);
    return r;
  };

  Marker.prototype.equivalent = function (names, a, b) {
    var sorted = Array.from(names).sort(), k, i;
    for (k = 0; k < 4; k++) {
      var env = {};
      for (i = 0; i < sorted.length; i++) env[sorted[i]] = (7 + 13 * k + 5 * i) / 97;
      var x, y;
      try { x = a(env); y = b(env); } catch (e) { return false; }
      if (!(Math.abs(x - y) <= 1e-10 * (1 + Math.abs(x) + Math.abs(y)))) return false;
    }
    return true;
  };

  window.deriveMark.Marker = Marker;
})();
