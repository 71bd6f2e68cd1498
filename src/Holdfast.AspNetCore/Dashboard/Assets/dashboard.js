// Holdfast's connectivity dashboard. Draws the document of {base}/api/state (or the one embedded in a
// `holdfast monitor --html` report) with plain DOM and SVG: no framework, no CDN, no inline code, no innerHTML.
(function () {
  'use strict';

  var SVG = 'http://www.w3.org/2000/svg';
  var HOUR = 3600 * 1000;
  var state = {
    doc: null, recent: new Map(), history: [], range: 3600, embedded: false,
    historyAt: 0, nextProbeAt: null, fetchedAt: 0, failing: false, timer: null,
  };

  // ---- DOM helpers ----------------------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function sv(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) { return; }
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== undefined && attrs[k] !== null) { node.setAttribute(k, String(attrs[k])); }
    });
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }

  function setText(id, text, cls) {
    var node = $(id);
    node.textContent = text === undefined || text === null ? '' : String(text);
    if (cls !== undefined) { node.className = node.className.replace(/\bstate-\w+\b/g, '').trim() + (cls ? ' ' + cls : ''); }
  }

  // ---- formatting -----------------------------------------------------------------------------------------------
  function ms(value) {
    if (value === undefined || value === null || isNaN(value)) { return '–'; }
    if (value < 1) { return value.toFixed(2) + ' ms'; }
    if (value < 100) { return value.toFixed(1) + ' ms'; }
    if (value < 1000) { return Math.round(value) + ' ms'; }
    return (value / 1000).toFixed(value < 10000 ? 2 : 1) + ' s';
  }

  function seconds(value) {
    if (value === undefined || value === null) { return '–'; }
    return value < 1 ? Math.round(value * 1000) + ' ms' : (Math.round(value * 100) / 100) + ' s';
  }

  function pad(n) { return n < 10 ? '0' + n : String(n); }

  function clock(t) {
    var d = new Date(t);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function stateClass(word) {
    switch (word) {
      case 'Ready': case 'Closed': case 'Succeeded': case 'Healthy': case 'yes': return 'state-ok';
      case 'Degraded': case 'HalfOpen': case 'Starting': case 'Running': case 'Warning': return 'state-warn';
      default: return 'state-bad';
    }
  }

  var kindClasses = {};
  function kindClass(kind) {
    if (kind === 'rejected') { return 'krejected'; }
    if (!(kind in kindClasses)) { kindClasses[kind] = 'k' + (Object.keys(kindClasses).length % 6); }
    return kindClasses[kind];
  }

  // ---- data -----------------------------------------------------------------------------------------------------
  function merge(doc) {
    var span = (doc.recent.spanSeconds || 3600) * 1000;
    doc.recent.points.forEach(function (p) { state.recent.set(Date.parse(p.at), p); });
    var oldest = Date.parse(doc.generatedAt) - span;
    state.recent.forEach(function (_, at) { if (at < oldest) { state.recent.delete(at); } });
    if (doc.history) { state.history = doc.history.points; state.historyAt = Date.now(); }
    state.doc = doc;
  }

  function lastRecentAt() {
    var last = null;
    state.recent.forEach(function (_, at) { if (last === null || at > last) { last = at; } });
    return last;
  }

  function schedule() {
    var every = parseInt(document.body.getAttribute('data-refresh-ms') || '1000', 10);
    state.timer = setTimeout(poll, state.failing ? Math.max(every, 2000) : every);
  }

  function poll() {
    var api = document.body.getAttribute('data-api');
    var query = [];
    var last = lastRecentAt();
    if (last !== null) { query.push('since=' + last); }
    if (!state.history.length || Date.now() - state.historyAt > 60000) { query.push('history=1'); }
    // A service that stops answering must show as stale, not as its last good state: give each request a deadline.
    var every = parseInt(document.body.getAttribute('data-refresh-ms') || '1000', 10);
    var abort = typeof AbortController === 'function' ? new AbortController() : null;
    var deadline = abort ? setTimeout(function () { abort.abort(); }, Math.max(3000, every * 3)) : null;
    fetch(api + (query.length ? '?' + query.join('&') : ''), { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' }, signal: abort ? abort.signal : undefined })
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (text) { throw new Error('the service answered ' + response.status + (text ? ': ' + text.slice(0, 300) : '')); });
        }
        return response.json();
      })
      .then(function (doc) {
        state.failing = false;
        state.fetchedAt = Date.now();
        merge(doc);
        banner(null);
        render();
      })
      .catch(function (error) {
        state.failing = true;
        var why = error && error.name === 'AbortError' ? 'the service did not answer within ' + Math.max(3, every * 3 / 1000) + ' s' : error.message;
        banner('Stale: no fresh state since ' + (state.fetchedAt ? clock(state.fetchedAt) : 'the page opened') + ' (' + why + '). Retrying.');
      })
      .then(function () { if (deadline !== null) { clearTimeout(deadline); } schedule(); });
  }

  function banner(text) {
    var node = $('banner');
    node.hidden = !text;
    node.textContent = text || '';
  }

  // ---- rendering ------------------------------------------------------------------------------------------------
  function render() {
    var doc = state.doc;
    if (!doc) { return; }
    var health = doc.health || null;
    setText('environment', doc.environment);
    setText('endpoint', doc.endpoint);
    setText('freshness', (doc.source === 'monitor' ? 'monitor run, written ' : 'updated ') + clock(Date.parse(doc.generatedAt)));
    renderVerdict(doc, health);
    renderLatency(doc);
    renderPool(doc);
    renderPhases(health);
    renderTimeouts(health);
    renderHosts(health);
    renderAlerts(doc, health);
  }

  function renderVerdict(doc, health) {
    setText('service-state', doc.verdict.state, stateClass(doc.verdict.state));
    setText('service-summary', doc.verdict.summary);
    var circuit = health ? health.circuit : lastCircuit();
    if (circuit) {
      setText('circuit-state', circuit.state, stateClass(circuit.state));
      var wait = circuit.nextProbeInSeconds;
      state.nextProbeAt = typeof wait === 'number' && isFinite(wait) && wait < 86400 ? Date.now() + wait * 1000 : null;
      state.circuitText = circuit.consecutiveFailures !== undefined
        ? circuit.consecutiveFailures + ' failures in a row' + (circuit.lastFailureKind ? '; last: ' + circuit.lastFailureKind : '')
        : '';
      tick();
    }
    var db = health ? health.database : null;
    // The probe is refreshed behind each request: with the circuit open, calls that failed after the last probe answered
    // say more than that probe.
    var failedSince = circuit && circuit.state !== 'Closed' && circuit.lastFailureAt && (!db || Date.parse(circuit.lastFailureAt) > Date.parse(db.checkedAt))
      ? Date.parse(circuit.lastFailureAt) : null;
    if (failedSince !== null) {
      setText('database-state', 'not answering', 'state-bad');
      setText('database-detail', 'calls failing (' + (circuit.lastFailureKind || 'unknown') + ') at ' + clock(failedSince) +
        (db ? '; the last probe ' + (db.answers ? 'answered' : 'failed') + ' at ' + clock(Date.parse(db.checkedAt)) : ''));
    } else if (db) {
      setText('database-state', db.answers ? 'answering' : 'not answering', db.answers ? 'state-ok' : 'state-bad');
      setText('database-detail', (db.answers ? 'probe answered in ' + ms(db.latencyMs) : 'probe failed: ' + (db.failureKind || 'unknown')) + ' at ' + clock(Date.parse(db.checkedAt)));
    } else if (!health) {
      var last = lastOk();
      var failing = firstFailureAfter(last);
      if (failing !== null) {
        setText('database-state', 'not answering', 'state-bad');
        setText('database-detail', 'failing since ' + clock(failing) + (last ? '; last answer at ' + clock(last) : '; no sample answered'));
      } else {
        setText('database-state', last ? 'answering' : 'no answer', last ? 'state-ok' : 'state-bad');
        setText('database-detail', last ? 'last answer at ' + clock(last) : 'no sample answered');
      }
    } else {
      setText('database-state', 'not probed yet', 'state-warn');
      setText('database-detail', 'the health probe has not run');
    }
    var latency = health ? health.connectLatency : null;
    var trend = health ? health.trend : null;
    if (latency && latency.samples > 0) {
      setText('latency-p95', ms(latency.p95Ms));
      setText('latency-detail', 'p50 ' + ms(latency.p50Ms) + ', p99 ' + ms(latency.p99Ms) + ', max ' + ms(latency.maxMs) + ' over ' + latency.samples + ' connects' + (trend ? '; trend ' + trend.direction.toLowerCase() : ''));
    } else if (!health) {
      var connects = seriesValues(pointsInView(), 'connect');
      var sorted = connects.map(function (v) { return v[1]; }).sort(function (a, b) { return a - b; });
      setText('latency-p95', sorted.length ? ms(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]) : '–');
      setText('latency-detail', sorted.length + ' samples');
    } else {
      setText('latency-p95', '–');
      setText('latency-detail', 'no connect measured yet');
    }
  }

  function tick() {
    var text = state.circuitText || '';
    if (state.nextProbeAt !== null) {
      var left = Math.max(0, (state.nextProbeAt - Date.now()) / 1000);
      text += (text ? '; ' : '') + 'next probe in ' + left.toFixed(1) + ' s';
    }
    setText('circuit-detail', text);
  }

  function lastCircuit() {
    var points = pointsInView();
    for (var i = points.length - 1; i >= 0; i--) { if (points[i].circuit) { return { state: points[i].circuit }; } }
    return null;
  }

  function lastOk() {
    var points = pointsInView();
    for (var i = points.length - 1; i >= 0; i--) { if (points[i].operation || points[i].connect) { return Date.parse(points[i].at); } }
    return null;
  }

  // The first failed or refused point after the last answer (null when the last point answered).
  function firstFailureAfter(lastAnswer) {
    var points = pointsInView();
    var first = null;
    for (var i = points.length - 1; i >= 0; i--) {
      var t = Date.parse(points[i].at);
      if (lastAnswer !== null && t <= lastAnswer) { break; }
      if (points[i].failures || points[i].rejected) { first = t; }
    }
    return first;
  }

  // The points of the selected range: the minute history for 24 h, the detailed series otherwise.
  function pointsInView() {
    if (state.embedded) { return sortedRecent(); }
    if (state.range > 3600) { return state.history.slice(); }
    var now = Date.parse(state.doc.generatedAt);
    return sortedRecent().filter(function (p) { return Date.parse(p.at) >= now - state.range * 1000; });
  }

  function sortedRecent() {
    return Array.from(state.recent.keys()).sort(function (a, b) { return a - b; }).map(function (k) { return state.recent.get(k); });
  }

  function seriesValues(points, name) {
    var values = [];
    points.forEach(function (p) { if (p[name]) { values.push([Date.parse(p.at), p[name].meanMs, p[name].maxMs]); } });
    return values;
  }

  function timeDomain(points, resolution) {
    var now = Date.parse(state.doc.generatedAt);
    if (state.embedded) {
      var first = points.length ? Date.parse(points[0].at) : now - 60000;
      var last = points.length ? Date.parse(points[points.length - 1].at) + resolution : now;
      return [first, Math.max(last, first + 1000)];
    }
    var from = now - state.range * 1000;
    if (points.length) { from = Math.max(from, Date.parse(points[0].at) - resolution); }
    return [from, Math.max(now, from + 10000)];
  }

  function frame(svgNode, margin) {
    clear(svgNode);
    var width = Math.max(320, Math.round(svgNode.getBoundingClientRect().width || 800));
    var height = Math.max(120, Math.round(svgNode.getBoundingClientRect().height || 240));
    svgNode.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    return { w: width, h: height, left: margin.left, right: width - margin.right, top: margin.top, bottom: height - margin.bottom };
  }

  function timeAxis(svgNode, box, domain) {
    var span = domain[1] - domain[0];
    var steps = [1000, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, HOUR, 3 * HOUR, 6 * HOUR];
    var step = steps.find(function (s) { return span / s <= 8; }) || 6 * HOUR;
    var x = function (t) { return box.left + (t - domain[0]) / span * (box.right - box.left); };
    for (var t = Math.ceil(domain[0] / step) * step; t <= domain[1]; t += step) {
      svgNode.appendChild(sv('line', { x1: x(t), x2: x(t), y1: box.top, y2: box.bottom, class: 'grid' }));
      var label = step >= 60000 ? clock(t).slice(0, 5) : clock(t);
      var anchor = x(t) > box.right - 30 ? 'end' : x(t) < box.left + 30 ? 'start' : 'middle';
      svgNode.appendChild(sv('text', { x: x(t), y: box.bottom + 14, 'text-anchor': anchor }, label));
    }
    return x;
  }

  function polyline(svgNode, values, x, y, cls) {
    if (!values.length) { return 0; }
    var path = values.map(function (v) { return x(v[0]).toFixed(1) + ',' + y(v[1]).toFixed(1); }).join(' ');
    svgNode.appendChild(sv('polyline', { points: path, class: 'line ' + cls }));
    if (values.length < 60) {
      values.forEach(function (v) { svgNode.appendChild(sv('circle', { cx: x(v[0]).toFixed(1), cy: y(v[1]).toFixed(1), r: 2.2, class: 'point ' + cls })); });
    }
    return values.length;
  }

  // One rectangle per run of consecutive points in the same non-closed state (an hour's outage is one, not 3,600).
  function shadeCircuit(svgNode, points, x, box, resolution) {
    var run = null;
    function flush() {
      if (!run) { return; }
      svgNode.appendChild(sv('rect', {
        x: x(run.from).toFixed(1), y: box.top, width: Math.max(1, x(run.to) - x(run.from)).toFixed(1), height: box.bottom - box.top,
        class: run.kind === 'HalfOpen' ? 'shade-halfopen' : 'shade-open',
      }));
      run = null;
    }
    points.forEach(function (p) {
      var t = Date.parse(p.at);
      var kind = p.circuit === 'Isolated' ? 'Open' : p.circuit;
      if (kind !== 'Open' && kind !== 'HalfOpen') { flush(); return; }
      if (run && run.kind === kind && t <= run.to + resolution / 2) { run.to = t + resolution; return; }
      flush();
      run = { kind: kind, from: t, to: t + resolution };
    });
    flush();
  }

  function renderLatency(doc) {
    var svgNode = $('latency-chart');
    var points = pointsInView();
    var resolution = (state.range > 3600 && !state.embedded ? (doc.history ? doc.history.resolutionSeconds : 60) : doc.recent.resolutionSeconds) * 1000;
    var box = frame(svgNode, { left: 56, right: 12, top: 10, bottom: 34 });
    var domain = timeDomain(points, resolution);
    var series = ['connect', 'open', 'operation'].map(function (name) { return { name: name, values: seriesValues(points, name) }; });
    var all = [];
    series.forEach(function (s) { s.values.forEach(function (v) { all.push(v[1]); }); });
    var thresholds = doc.thresholds || [];
    var top = Math.max.apply(null, all.concat([1]));
    thresholds.forEach(function (t) { top = Math.max(top, t.criticalMs); });
    // Log scale from just under the fastest sample (a pooled open takes microseconds) to above the critical threshold.
    var lo = Math.floor(Math.log10(Math.max(0.001, Math.min.apply(null, all.concat([1])) / 2)));
    var hi = Math.log10(top * 1.6);
    var floor = Math.pow(10, lo);
    var y = function (v) { return box.bottom - 12 - (Math.log10(Math.max(v, floor)) - lo) / (hi - lo) * (box.bottom - 12 - box.top); };
    var x = timeAxis(svgNode, box, domain);
    for (var p = Math.ceil(lo); p <= Math.floor(hi); p++) {
      var v = Math.pow(10, p);
      svgNode.appendChild(sv('line', { x1: box.left, x2: box.right, y1: y(v), y2: y(v), class: 'grid' }));
      svgNode.appendChild(sv('text', { x: box.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, ms(v)));
    }
    shadeCircuit(svgNode, points, x, box, resolution);
    thresholds.forEach(function (t) {
      [['warning', t.warningMs], ['critical', t.criticalMs]].forEach(function (level) {
        svgNode.appendChild(sv('line', { x1: box.left, x2: box.right, y1: y(level[1]), y2: y(level[1]), class: 'threshold-' + level[0] }));
        // Warning labelled on the left, critical on the right: the two lines are often close on a log scale.
        var left = level[0] === 'warning';
        svgNode.appendChild(sv('text', { x: left ? box.left + 4 : box.right - 4, y: y(level[1]) - 4, 'text-anchor': left ? 'start' : 'end' }, t.rule + ' ' + level[0] + ' ' + ms(level[1])));
      });
    });
    var plotted = 0;
    series.forEach(function (s) { plotted += polyline(svgNode, s.values, x, y, s.name); });
    var kinds = {};
    points.forEach(function (pt) {
      var t = Date.parse(pt.at);
      var marks = [];
      if (pt.failures) { Object.keys(pt.failures).forEach(function (k) { marks.push([k, pt.failures[k]]); }); }
      if (pt.rejected) { marks.push(['rejected', pt.rejected]); }
      marks.forEach(function (m, i) {
        kinds[m[0]] = (kinds[m[0]] || 0) + m[1];
        var mark = sv('rect', { x: (x(t) - 1.5).toFixed(1), y: box.bottom - 10 - i * 10, width: 3, height: 9, class: 'marker ' + kindClass(m[0]) });
        mark.appendChild(sv('title', null, clock(t) + ' ' + m[0] + ' ×' + m[1]));
        svgNode.appendChild(mark);
      });
    });
    if (!plotted) {
      svgNode.appendChild(sv('text', { x: (box.left + box.right) / 2, y: (box.top + box.bottom) / 2, 'text-anchor': 'middle', class: 'empty' }, 'no latency sample in this range yet'));
    }
    svgNode.setAttribute('data-points', String(plotted));
    svgNode.setAttribute('data-failures', String(Object.keys(kinds).reduce(function (n, k) { return n + kinds[k]; }, 0)));

    var legend = clear($('latency-legend'));
    var names = { connect: 'connect (physical)', open: 'open (wait for a connection, retries included)', operation: doc.source === 'monitor' ? 'query (SELECT 1)' : 'operation (retries included)' };
    series.forEach(function (s) { if (s.values.length) { legend.appendChild(swatch('sw-' + s.name, names[s.name] + ', mean per ' + (resolution / 1000 >= 60 ? 'minute' : resolution / 1000 + ' s'))); } });
    if (thresholds.length) { legend.appendChild(swatch('sw-warning', 'warning threshold')); legend.appendChild(swatch('sw-critical', 'critical threshold')); }
    legend.appendChild(swatch('sw-outage', 'circuit open'));
    Object.keys(kinds).forEach(function (k) { legend.appendChild(swatch(kindClass(k), k + ' ×' + kinds[k])); });
    var trend = doc.health && doc.health.trend;
    setText('latency-note', trend ? 'trend (last hour against 24 h, p95): ' + trend.direction.toLowerCase() + (trend.p95Ratio ? ' ×' + trend.p95Ratio : '') : '');
  }

  function swatch(cls, text) {
    var item = el('span');
    item.appendChild(el('span', { class: 'swatch ' + cls }));
    item.appendChild(document.createTextNode(text));
    return item;
  }

  function renderPool(doc) {
    var section = $('pool');
    var points = pointsInView().filter(function (p) { return p.pool; });
    var current = doc.health ? doc.health.pool : null;
    if (!current && !points.length) { section.hidden = true; return; }
    section.hidden = false;
    var svgNode = $('pool-chart');
    var resolution = (state.range > 3600 && !state.embedded ? 60 : doc.recent.resolutionSeconds) * 1000;
    var box = frame(svgNode, { left: 56, right: 12, top: 10, bottom: 24 });
    var domain = timeDomain(points, resolution);
    var top = 1;
    points.forEach(function (p) { top = Math.max(top, p.pool.max, p.pool.busy + p.pool.idle, p.pool.pending); });
    var y = function (v) { return box.bottom - v / (top * 1.1) * (box.bottom - box.top); };
    var x = timeAxis(svgNode, box, domain);
    [0, Math.round(top / 2), top].forEach(function (v) {
      svgNode.appendChild(sv('line', { x1: box.left, x2: box.right, y1: y(v), y2: y(v), class: 'grid' }));
      svgNode.appendChild(sv('text', { x: box.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, v));
    });
    var plotted = 0;
    ['busy', 'idle', 'pending', 'max'].forEach(function (name) {
      var values = points.map(function (p) { return [Date.parse(p.at), p.pool[name]]; });
      plotted += polyline(svgNode, values, x, y, name === 'max' ? 'max' : name);
    });
    svgNode.setAttribute('data-points', String(plotted));
    var legend = clear($('pool-legend'));
    legend.appendChild(swatch('sw-busy', 'busy'));
    legend.appendChild(swatch('sw-idle', 'idle'));
    legend.appendChild(swatch('sw-pending', 'callers waiting'));
    legend.appendChild(swatch('', 'max pool size (dashed)'));
    setText('pool-now', current ? 'now: ' + current.busy + ' busy, ' + current.idle + ' idle, ' + current.pending + ' waiting, max ' + current.max : '');
  }

  function renderPhases(health) {
    var section = $('phases');
    if (!health || !health.startup) { section.hidden = true; return; }
    section.hidden = false;
    var startup = health.startup;
    var text = startup.outcome;
    if (startup.bypass) { text += ' (bypass: ' + startup.bypass + ')'; }
    if (startup.completedAt) { text += ', decided at ' + clock(Date.parse(startup.completedAt)); }
    if (startup.recoveredAt) { text += ', recovered at ' + clock(Date.parse(startup.recoveredAt)) + ' after ' + startup.recoveryAttempts + ' attempts'; }
    setText('startup-outcome', text);
    var list = clear($('phase-list'));
    startup.phases.forEach(function (phase) {
      var item = el('li', { class: 'phase ' + phase.status.toLowerCase(), 'data-phase': phase.name, 'data-status': phase.status });
      item.appendChild(el('span', { class: 'name' }, phase.name));
      var track = el('span', { class: 'track', title: phase.kind + ' budget ' + seconds(phase.budgetSeconds) });
      var fill = el('span', { class: 'fill' });
      var share = phase.budgetSeconds > 0 ? phase.durationMs / (phase.budgetSeconds * 1000) : 0;
      fill.style.width = Math.max(phase.durationMs > 0 ? 0.5 : 0, Math.min(100, share * 100)).toFixed(1) + '%';
      track.appendChild(fill);
      item.appendChild(track);
      item.appendChild(el('span', { class: 'numbers' }, phase.status + ': ' + ms(phase.durationMs) + ' of ' + seconds(phase.budgetSeconds) + ' (' + Math.round(share * 100) + '%)'));
      if (phase.failureKind || phase.diagnosis) {
        item.appendChild(el('p', { class: 'failure' }, (phase.failureKind || 'failed') + (phase.diagnosis ? ': ' + phase.diagnosis : '')));
      }
      list.appendChild(item);
    });
  }

  function renderTimeouts(health) {
    var section = $('timeouts');
    var rows = clear($('timeout-rows'));
    var effective = health && health.timeouts ? health.timeouts.effective : null;
    section.hidden = !effective;
    if (!effective) { return; }
    Object.keys(effective).forEach(function (kind) {
      var row = el('tr');
      row.appendChild(el('td', null, kind));
      row.appendChild(el('td', null, seconds(effective[kind].seconds)));
      row.appendChild(el('td', null, effective[kind].reason));
      rows.appendChild(row);
    });
  }

  function renderHosts(health) {
    var rows = clear($('host-rows'));
    var hosts = health && health.hosts ? health.hosts : null;
    $('hosts').hidden = !health;
    if (!health) { return; }
    if (!hosts || !hosts.length) {
      var row = el('tr');
      row.appendChild(el('td', { colspan: 4, class: 'muted' }, 'one host (' + (state.doc.endpoint || '') + ')'));
      rows.appendChild(row);
    } else {
      hosts.forEach(function (h) {
        var r = el('tr');
        r.appendChild(el('td', null, h.host));
        r.appendChild(el('td', { class: stateClass(h.role === 'Primary' || h.role === 'Standby' ? 'Ready' : 'Failed') }, h.role + (h.failureKind ? ' (' + h.failureKind + ')' : '')));
        r.appendChild(el('td', null, ms(h.latencyMs)));
        r.appendChild(el('td', null, h.replayLagBytes !== undefined && h.replayLagBytes !== null ? h.replayLagBytes + ' B' : '–'));
        rows.appendChild(r);
      });
    }
    var pooler = health.pooler;
    setText('pooler', pooler && pooler.present ? 'through ' + pooler.name + (pooler.version ? ' ' + pooler.version : '') + ', ' + pooler.mode.toLowerCase() + ' pooling' : 'no connection pooler in front');
    var tls = health.tls;
    var certificate = $('certificate');
    certificate.className = tls && tls.expiresSoon ? 'state-warn' : 'muted';
    setText('certificate', !tls ? 'TLS not used'
      : !tls.subject ? 'TLS: sslmode=' + tls.sslMode + '; the server certificate has not been looked at yet'
      : 'TLS ' + (tls.protocol || '') + ': certificate ' + tls.subject + ' from ' + tls.issuer + ', expires ' + String(tls.notAfter).slice(0, 10) +
        ' (' + Math.floor(tls.daysLeft) + ' days left' + (tls.expiresSoon ? ', under ' + tls.warningDays + ': rotate it' : '') + '); ' +
        (tls.chainVerified ? 'chain verified' : 'chain not verified') + ', ' + (tls.hostNameVerified ? 'host name verified' : 'host name not checked'));
  }

  function renderAlerts(doc, health) {
    var list = clear($('alert-list'));
    var alerts = health ? health.alerts : [];
    if (!alerts || !alerts.length) {
      list.appendChild(el('li', { class: 'muted' }, 'none' + (doc.thresholds && doc.thresholds.length ? ' (' + doc.thresholds.map(function (t) { return t.rule + ': warning ' + ms(t.warningMs) + ', critical ' + ms(t.criticalMs); }).join('; ') + ')' : '')));
      return;
    }
    alerts.forEach(function (a) {
      list.appendChild(el('li', { class: a.level === 'Critical' ? 'state-bad' : 'state-warn' },
        a.rule === 'certificate-expiry' ? a.message + ' since ' + clock(Date.parse(a.at))
          : a.rule + ' ' + a.level.toLowerCase() + ': ' + seconds(a.valueSeconds) + ' over ' + seconds(a.thresholdSeconds) + ' since ' + clock(Date.parse(a.at))));
    });
  }

  // ---- start ----------------------------------------------------------------------------------------------------
  function start() {
    var embedded = document.getElementById('holdfast-data');
    $('ranges').addEventListener('click', function (event) {
      var button = event.target.closest('button[data-range]');
      if (!button) { return; }
      state.range = parseInt(button.getAttribute('data-range'), 10);
      Array.prototype.forEach.call(this.querySelectorAll('button'), function (b) { b.classList.toggle('on', b === button); });
      render();
    });
    window.addEventListener('resize', render);
    if (embedded) {
      state.embedded = true;
      $('ranges').hidden = true;
      merge(JSON.parse(embedded.textContent));
      setText('footer', 'Written by holdfast monitor. The live dashboard of a service is at /holdfast (MapHoldfastDashboard).');
      render();
      return;
    }
    var footer = clear($('footer'));
    footer.appendChild(document.createTextNode('State as JSON (for other tools): '));
    footer.appendChild(el('a', { href: document.body.getAttribute('data-api') }, document.body.getAttribute('data-api')));
    setInterval(tick, 250);
    poll();
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
