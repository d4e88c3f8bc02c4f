/* derive practise mode: the answer reader and the marking, in the browser.
 *
 * The reader is the one deliberate second implementation of derive's Python reader
 * (derive/teach/answers.py, notation.py, formula.py, derive/model/syntax.py, numbers.py):
 * a tokenizer and a recursive-descent parser over the same whitelist, read from the
 * payload (nothing typed is ever evaluated as code). tests/answer_corpus.json holds it to
 * the Python reader. The marking mirrors derive.teach.marking.Checker step for step; its
 * rules (verdicts, tolerances, the precision standard and its remarks, the misconceptions
 * and their sentences) come from the payload, which Python writes.
 */
(function () {
  "use strict";

  // ---- float helpers of the compiled formulas: as stable as the Python float code, and
  // failing (throw) where Python's math raises, so a formula that cannot be evaluated gives
  // no value in both runtimes
  function fail() { throw new RangeError("math"); }
  var F = {
    exp: function (x) { var r = Math.exp(x); if (r === Infinity) fail(); return r; },
    log: function (x) { if (!(x > 0)) { if (x !== x) return x; fail(); } return Math.log(x); },
    sqrt: function (x) { if (x < 0) fail(); return Math.sqrt(x); },
    pow: function (a, b) {
      if (a === 0 && b < 0) fail();
      if (a < 0 && !Number.isInteger(b)) fail();
      var r = Math.pow(a, b);
      if (!isFinite(r) && isFinite(a) && isFinite(b)) fail();
      return r;
    },
    sigma: function (x) {
      if (x >= 0) return 1 / (1 + Math.exp(-x));
      var e = Math.exp(x);
      return e / (1 + e);
    },
    softplus: function (x) { return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); },
    relu: function (x) { return 0 > x ? 0 : x; },
    step: function (x) { return x > 0 ? 1 : 0; },
    leaky_step: function (x, a) { return x > 0 ? 1 : a; },
    leaky_relu: function (x, a) { return x > 0 ? x : a * x; },
    rnd: function (x, p) {  // round_half_up_float
      var k = F.P10[p];
      var r = Math.floor(Math.abs(x) * k + 0.5) / k;
      return x < 0 || Object.is(x, -0) ? -r : r;
    },
    trunc: function (x, p) {  // teach.compiled.trunc_float
      if (p > 15) return x;
      var k = F.P10[p];
      return Math.trunc(round6(x * k)) / k;
    },
    P10: null,  // 10.0 ** p, as Python computes it (the payload's table)
  };

  function round6(y) {  // Python's round(y, 6) (no ties occur: 5e-7 is not a binary fraction)
    return Math.abs(y) < 1e21 ? Number(y.toFixed(6)) : y;
  }

  function call(f, env) {  // teach.compiled.call: a finite float or null
    var v;
    try { v = f(env); } catch (e) { return null; }
    return typeof v === "number" && isFinite(v) ? v : null;
  }

  // ---- exact rationals (BigInt), for answers that are arithmetic on numbers
  function gcd(a, b) { a = a < 0n ? -a : a; b = b < 0n ? -b : b; while (b) { var t = a % b; a = b; b = t; } return a; }
  function rat(p, q) {
    if (q < 0n) { p = -p; q = -q; }
    var g = gcd(p, q) || 1n;
    return { p: p / g, q: q / g };
  }
  function bits(n) { return (n < 0n ? -n : n).toString(2).length - (n === 0n ? 1 : 0); }
  function ratFloat(r) {
    var p = r.p, q = r.q, lim = 1n << 53n, neg = p < 0n;
    if (neg) p = -p;
    var v;
    if (p < lim && q < lim) v = Number(p) / Number(q);
    else {  // scale to 64 significant bits, then divide
      var shift = BigInt(bits(q) - bits(p) + 64);
      v = shift >= 0n ? Number((p << shift) / q) * Math.pow(2, -Number(shift)) : Number(p / (q << -shift)) * Math.pow(2, Number(-shift));
    }
    return neg ? -v : v;
  }
  function ratPow(r, n) {  // n an integer Number
    var m = BigInt(Math.abs(n)), p = r.p ** m, q = r.q ** m;
    return n < 0 ? rat(q, p) : rat(p, q);
  }
  function iroot(n, k) {  // the integer k-th root of n >= 0, or null when not exact
    if (n < 2n) return n;
    var x = BigInt(Math.round(Math.pow(Number(n), 1 / Number(k))));
    for (var d = -2n; d <= 2n; d++) { var y = x + d; if (y >= 0n && y ** k === n) return y; }
    return null;
  }

  // ---- the reader
  function AnswerError(message) { this.message = message; }
  function err(message) { return new AnswerError(message); }

  var R = null;  // the payload's reader section
  var WS = "[ \\t\\n\\r\\f\\v]*";
  var LITERAL = new RegExp("^([+-]?)" + WS + "(?:([0-9]+)/([0-9]+)|([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE]([+-]?[0-9]+))?)$");
  var POWER = /[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+/g;
  var SUPER = { "⁺": "+", "⁻": "-", "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9" };
  var LABEL = /^([A-Za-z_][A-Za-z0-9_]*) ?[=:≈≃~] ?([\s\S]+)$/;
  var RELATION = /^[=≈≃~] ?([\s\S]+)$/;
  var HEAD = /^([+-]?) ?([0-9]+,[0-9]+|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+)| ?[*xX] ?10 ?\*\* ?(?:\( ?([+-]? ?[0-9]+) ?\)|([+-]?[0-9]+)))?( ?%)?/;
  var L = "\\p{L}\\p{Nl}\\p{No}", W = "\\p{L}\\p{N}_";
  var REMARK = new RegExp("^(?:[" + L + "][" + W + " .,;:!?'\"()/%-]*|\\([" + W + " .,;:!?'\"()/%-]*)$", "u");
  var WORD = new RegExp("[" + L + "][" + W + "]*", "gu");
  var DECIMAL = /[0-9][.,][0-9]/;
  var ASIDE = /\([^()]*\)/g;
  var PRODUCT = new RegExp("(?<![" + W + ".])((?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?) ?\\(", "gu");
  var DIGIT = /\p{Nd}/u;

  function clen(s) { return Array.from(s).length; }

  function digitsOf(s) {
    if (s.replace(/^0+/, "").length > R.caps.digits) throw err("number has too many digits (at most " + R.caps.digits + ")");
    return BigInt(s);
  }

  // model.numbers.scan_number with the formula caps: {rational, places, float} or null
  function scanNumber(text) {
    text = text.trim();
    var m = LITERAL.exec(text);
    if (!m) return null;
    if (clen(text) > R.caps.length) throw err("number too long (at most " + R.caps.length + " characters)");
    var neg = m[1] === "-";
    if (m[2] !== undefined) {
      var num = digitsOf(m[2]), den = digitsOf(m[3]);
      if (den === 0n) throw err("division by zero");
      var r = rat(neg ? -num : num, den);
      return { rational: r, places: null, float: ratFloat(r) };
    }
    var parts = m[4].split("."), whole = parts[0], frac = parts[1] || "";
    var e10 = parseInt(m[5] || "0", 10);
    if (Math.abs(e10) > 999) throw err("number too large or too small");
    var mant = digitsOf(whole + frac), scale = e10 - frac.length;
    if (neg) mant = -mant;
    var value = scale >= 0 ? rat(mant * 10n ** BigInt(scale), 1n) : rat(mant, 10n ** BigInt(-scale));
    var f = Number((neg ? "-" : "") + (whole || "0") + "." + (frac || "0") + "e" + e10);
    return { rational: value, places: Math.max(0, -scale), float: f };
  }

  function readLiteral(text) { return scanNumber(text); }

  function translate(text, table) {
    var out = "";
    for (var ch of text) out += Object.prototype.hasOwnProperty.call(table, ch) ? table[ch] : ch;
    return out;
  }

  function normalize(text) {
    text = text.replace(POWER, function (m) { return "**(" + translate(m, SUPER) + ")"; });
    text = translate(text, R.spellings).split(/\s+/).filter(Boolean).join(" ");
    return text.split("^").join("**");
  }

  function isRemark(rest, names) {
    var text = rest.replace(/^\s+/, "");
    if (!REMARK.test(text) || DECIMAL.test(text)) return false;
    if (DIGIT.test(text.replace(ASIDE, ""))) return false;
    if (text[0] !== "(" && rest[0] !== " ") return false;
    var words = text.match(WORD) || [];
    if (words.some(function (w) { return names.has(w); }) || words[0] === "x" || words[0] === "X") return false;
    if (text[0] === "(") {
      var inner = text.slice(1).split(")")[0];
      return (inner.match(WORD) || []).some(function (w) { return clen(w) > 1; });
    }
    return true;
  }

  function readNotation(text, names) {
    var s = normalize(text), label = null, m = LABEL.exec(s);
    if (m && R.keywords.indexOf(m[1]) < 0) { label = m[1]; s = m[2]; }
    else { m = RELATION.exec(s); if (m) s = m[1]; }
    var cps = Array.from(s);
    if (cps.length > 1 && s.endsWith(".") && (DIGIT.test(cps[cps.length - 2]) || ")%".indexOf(cps[cps.length - 2]) >= 0)) s = s.slice(0, -1);
    var h = HEAD.exec(s);
    if (h) {
      var rest = s.slice(h[0].length);
      if (!rest || isRemark(rest, names)) {
        var e10 = (h[3] || h[4] || h[5] || "").split(" ").join("");
        var literal = h[1] + h[2].replace(",", ".") + (e10 ? "e" + e10 : "");
        return { source: s, literal: literal, label: label, remark: rest.trim() || null, percent: h[6] !== undefined };
      }
    }
    return { source: s.replace(PRODUCT, "$1*("), literal: null, label: label, remark: null, percent: false };
  }

  // ---- Python's expression grammar, for the whitelisted subset (model.syntax)
  var NUMBER_TOKEN = /^(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?[jJ]?/;
  var NAME_TOKEN = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/u;
  var NAME_CHAR = /^[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u;
  var SYNTAX = "not a number or formula";

  function tokenize(src) {
    var toks = [], i = 0, m;
    while (i < src.length) {
      var rest = src.slice(i), c = src[i];
      if (c === " " || c === "\t") { i++; continue; }
      if (c === "#") break;  // a comment, as Python reads it
      if ((m = NUMBER_TOKEN.exec(rest))) {
        var t = m[0];
        if (NAME_CHAR.test(rest.slice(t.length)) || /[jJ]$/.test(t) || /^0+[0-9]*[1-9][0-9]*$/.test(t.replace(/_/g, "")) && /^[0-9_]+$/.test(t)) throw err(SYNTAX);
        toks.push({ k: "num", v: t });
        i += t.length;
        continue;
      }
      if ((m = NAME_TOKEN.exec(rest))) { toks.push({ k: "name", v: m[0] }); i += m[0].length; continue; }
      if (rest.startsWith("**")) { toks.push({ k: "**" }); i += 2; continue; }
      if ("+-*/(),".indexOf(c) >= 0) { toks.push({ k: c }); i++; continue; }
      throw err(SYNTAX);
    }
    return toks;
  }

  function Parser(toks) { this.t = toks; this.i = 0; }
  Parser.prototype.peek = function () { return this.t[this.i] ? this.t[this.i].k : null; };
  Parser.prototype.take = function (k) { if (this.peek() !== k) throw err(SYNTAX); return this.t[this.i++]; };
  Parser.prototype.expr = function () {
    var a = this.term();
    while (this.peek() === "+" || this.peek() === "-") { var op = this.t[this.i++].k; a = { t: "bin", op: op, a: a, b: this.term() }; }
    return a;
  };
  Parser.prototype.term = function () {
    var a = this.factor();
    while (this.peek() === "*" || this.peek() === "/") { var op = this.t[this.i++].k; a = { t: "bin", op: op, a: a, b: this.factor() }; }
    return a;
  };
  Parser.prototype.factor = function () {
    var k = this.peek();
    if (k === "+" || k === "-") { this.i++; return { t: k === "-" ? "neg" : "pos", a: this.factor() }; }
    return this.power();
  };
  Parser.prototype.power = function () {
    var a = this.primary();
    if (this.peek() === "**") { this.i++; return { t: "pow", a: a, b: this.factor() }; }
    return a;
  };
  Parser.prototype.primary = function () {
    var a = this.atom();
    while (this.peek() === "(") {
      this.i++;
      var args = [];
      if (this.peek() !== ")") {
        args.push(this.expr());
        while (this.peek() === ",") { this.i++; if (this.peek() === ")") break; args.push(this.expr()); }
      }
      this.take(")");
      a = { t: "call", f: a, args: args };
    }
    return a;
  };
  Parser.prototype.atom = function () {
    var k = this.peek();
    if (k === "num" || k === "name") { var tok = this.t[this.i++]; return { t: k, v: tok.v }; }
    if (k === "(") {
      this.i++;
      var e = this.expr();
      if (this.peek() === ",") throw err("a comma (write decimals with a point: 0.5) is not allowed");
      this.take(")");
      return e;
    }
    throw err(SYNTAX);
  };

  function kids(n) {
    if (n.t === "bin" || n.t === "pow") return [n.a, n.b];
    if (n.t === "neg" || n.t === "pos") return [n.a];
    if (n.t === "call") return [n.f].concat(n.args);
    return [];
  }

  function checkSize(root) {  // model.syntax.check_size
    var count = 0, stack = [[root, 1]];
    while (stack.length) {
      var top = stack.pop();
      count++;
      if (top[1] > R.caps.depth) throw err("too deeply nested (at most " + R.caps.depth + " levels)");
      if (count > R.caps.nodes) throw err("formula too long (at most " + R.caps.nodes + " parts)");
      kids(top[0]).forEach(function (k) { stack.push([k, top[1] + 1]); });
    }
  }

  function parseSource(source) {
    if (clen(source) > 2 * R.caps.length) throw err("too long (at most " + R.caps.length + " characters)");
    var p = new Parser(tokenize(source));
    if (p.peek() === null) throw err(SYNTAX);
    var tree = p.expr();
    if (p.peek() !== null) throw err(SYNTAX);
    checkSize(tree);
    return tree;
  }

  // ---- building: a value (and an exact rational when there is one) from the tree
  var HUGE = Number.MAX_VALUE;
  function finite(v) { if (!(Math.abs(v) <= HUGE)) throw err("number too large"); return v; }
  function mpExp(x) {
    if (x > 710) throw err("number too large");
    if (x < -1000000) throw err("number too large or too small");
    return Math.exp(x);
  }
  var VALUE = {
    exp: mpExp,
    log: function (x) { if (x <= 0) throw err("log of a number that is not positive"); return Math.log(x); },
    sigma: function (x) { if (x >= 0) return 1 / (1 + mpExp(-x)); var e = mpExp(x); return e / (1 + e); },
    tanh: Math.tanh,
    softplus: function (x) { return Math.max(x, 0) + Math.log1p(mpExp(-Math.abs(x))); },
    relu: function (x) { return x > 0 ? x : 0; },
  };

  function literalOf(text) {
    var n = readLiteral(text);
    if (n === null) throw err("number '" + text.slice(0, 20) + "' is not allowed; write decimals like 0.5");
    return n;
  }

  function exponentOf(node) {
    var neg = false;
    if (node.t === "neg" || node.t === "pos") { neg = node.t === "neg"; node = node.a; }
    if (node.t !== "num") throw err("the exponent must be a plain number, e.g. x**2");
    var e = literalOf(node.v).rational;
    var mag = e.p < 0n ? -e.p : e.p;
    if (mag > BigInt(R.caps.exponent) * e.q) throw err("exponent too large (at most " + R.caps.exponent + ")");
    return neg ? rat(-e.p, e.q) : e;
  }

  // one node: {v: float or null (symbolic), r: rational or null, lazy: bool}
  function build(n, ctx) {
    switch (n.t) {
      case "num": { var lit = literalOf(n.v); return { v: finite(lit.float), r: lit.rational, lazy: false }; }
      case "name":
        if (ctx.symbols.has(n.v)) { ctx.symbolic = true; ctx.names.add(n.v); return { v: null, r: null, lazy: false }; }
        if (R.calls.indexOf(n.v) >= 0) throw err("function '" + n.v + "' needs its argument in parentheses, e.g. " + n.v + "(1)");
        throw err("unknown name '" + n.v.slice(0, 30) + "'");
      case "pos": return build(n.a, ctx);
      case "neg": { var a = build(n.a, ctx); return { v: a.v === null ? null : -a.v, r: a.r && rat(-a.r.p, a.r.q), lazy: a.lazy }; }
      case "pow": { var p = exponentOf(n.b); return power(build(n.a, ctx), p); }
      case "call": return callNode(n, ctx);
      default: return arithmetic(n, build(n.a, ctx), build(n.b, ctx));
    }
  }

  function power(b, p) {
    var fb = b.v, pf = ratFloat(p), v = null;
    if (fb !== null) {
      if (pf < 0 && fb === 0) throw err("division by zero");
      if (p.q !== 1n && fb < 0) throw err("a negative number to a fractional power");
      if (b.r && Math.max(bits(b.r.p), bits(b.r.q)) * Math.abs(pf) > R.caps.bits) throw err("number too large or too small");
      v = finite(Math.pow(fb, pf));
    }
    var r = null;
    if (b.r && !b.lazy) {
      if (p.q === 1n) r = ratPow(b.r, Number(p.p));
      else if (b.r.p >= 0n) {  // SymPy evaluates a perfect power to a rational
        var k = p.q, num = iroot(b.r.p, k), den = iroot(b.r.q, k);
        if (num !== null && den !== null) r = ratPow(rat(num, den), Number(p.p));
      }
    }
    return { v: r ? ratFloat(r) : v, r: r, lazy: b.lazy || (!b.r && p.q !== 1n) };
  }

  function arithmetic(n, a, b) {
    var numeric = a.v !== null && b.v !== null, lazy = a.lazy || b.lazy, r = null, v = null;
    var exact = a.r && b.r && !lazy;
    if (n.op === "/") {
      if ((b.r && b.r.p === 0n) || b.v === 0) throw err("division by zero");
    }
    if (exact) {
      if (n.op === "+") r = rat(a.r.p * b.r.q + b.r.p * a.r.q, a.r.q * b.r.q);
      else if (n.op === "-") r = rat(a.r.p * b.r.q - b.r.p * a.r.q, a.r.q * b.r.q);
      else if (n.op === "*") r = rat(a.r.p * b.r.p, a.r.q * b.r.q);
      else r = rat(a.r.p * b.r.q, a.r.q * b.r.p);
    }
    if (numeric) {
      if (r) v = ratFloat(r);
      else if (n.op === "+") v = a.v + b.v;
      else if (n.op === "-") v = a.v - b.v;
      else if (n.op === "*") v = a.v * b.v;
      else v = a.v / b.v;
      v = finite(v);
    }
    return { v: v, r: r, lazy: lazy };
  }

  function callNode(n, ctx) {
    if (n.f.t !== "name") throw err("only " + R.calls.join(", ") + " can be called; write * to multiply");
    var fn = n.f.v;
    if (R.calls.indexOf(fn) < 0) {
      if (ctx.symbols.has(fn)) throw err("'" + fn + "' is not a function; write * to multiply");
      throw err("function '" + fn.slice(0, 30) + "' is not allowed");
    }
    if (n.args.length !== 1) throw err("function '" + fn + "' takes exactly one argument");
    var a = build(n.args[0], ctx);
    if (fn === "sqrt") {
      if (a.v !== null && a.v < 0) throw err("square root of a negative number");
      return power(a, { p: 1n, q: 2n });
    }
    var f = a.v === null ? null : finite(VALUE[fn === "ln" ? "log" : fn](a.v));
    return { v: f, r: null, lazy: true };
  }

  // a float of the tree at ``env`` (a formula answer's value at a point)
  function evaluate(n, env) {
    switch (n.t) {
      case "num": return literalOf(n.v).float;
      case "name": return env[n.v];
      case "pos": return evaluate(n.a, env);
      case "neg": return -evaluate(n.a, env);
      case "pow": return Math.pow(evaluate(n.a, env), ratFloat(exponentOf(n.b)));
      case "call": {
        var x = evaluate(n.args[0], env), fn = n.f.v;
        if (fn === "sqrt") return Math.sqrt(x);
        if (fn === "exp") return Math.exp(x);
        if (fn === "log" || fn === "ln") return Math.log(x);
        return VALUE[fn](x);
      }
      default: {
        var a = evaluate(n.a, env), b = evaluate(n.b, env);
        return n.op === "+" ? a + b : n.op === "-" ? a - b : n.op === "*" ? a * b : a / b;
      }
    }
  }

  // teach.answers.parse_answer: {text, value, rational, places, number, symbolic, tree, names, label, remark, percent}
  function numberAnswer(text, n, reading) {
    if (reading.percent) {
      var r = rat(n.rational.p, n.rational.q * 100n);
      n = { rational: r, places: n.places === null ? null : n.places + 2, float: n.float / 100 };
      n.float = ratFloat(r);
    }
    if (!isFinite(n.float)) throw err("number too large");
    return { text: text, value: n.float, rational: n.rational, number: true, places: n.places, symbolic: false,
      label: reading.label, remark: reading.remark, percent: reading.percent };
  }

  function read(raw, symbols) {
    if (raw === null || raw === undefined) throw err("missing");
    var text = String(raw).trim();
    if (!text) throw err("missing");
    if (clen(text) > R.caps.length) throw err("too long (at most " + R.caps.length + " characters)");
    var n = readLiteral(text);
    if (n !== null) return numberAnswer(text, n, { label: null, remark: null, percent: false });
    if (text.indexOf("\\") >= 0) throw err("LaTeX and backslashes are not allowed; type e.g. 0.5*(1-0.64)");
    var names = new Set(symbols);
    R.calls.forEach(function (c) { names.add(c); });
    var reading = readNotation(text, names);
    if (clen(reading.source) > 2 * R.caps.length) throw err("too long (at most " + R.caps.length + " characters)");
    n = readLiteral(reading.literal || reading.source);
    if (n !== null) return numberAnswer(text, n, reading);
    var tree = parseSource(reading.source);
    var ctx = { symbols: new Set(symbols), symbolic: false, names: new Set() };
    var b = build(tree, ctx);
    var value = ctx.symbolic ? null : b.r ? ratFloat(b.r) : b.v;
    return { text: text, value: value, rational: ctx.symbolic ? null : b.r, number: false, places: null,
      symbolic: ctx.symbolic, tree: tree, names: ctx.names, label: reading.label, remark: null, percent: false };
  }

  window.deriveMark = { F: F, call: call, read: read, evaluate: evaluate, rat: rat, AnswerError: AnswerError,
    setReader: function (r) { R = r; } };
  window.deriveF = F;
})();
