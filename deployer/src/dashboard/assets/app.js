// deployer dashboard: follows the server's event stream and redraws the page.
// No framework: every value from the stack goes into the DOM through textContent.
'use strict';

(function () {
  const body = document.body;
  const actionsOn = body.dataset.actions === 'on';
  const probeOn = body.dataset.probe === 'on';
  const state = { snapshots: 0, probes: 0, deploymentId: null };
  window.dashboard = state; // read by the browser test (counts show the page was not reloaded)

  const $ = (sel) => document.querySelector(sel);
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'scope' || k === 'title' || k === 'type' || k === 'tabindex') e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  function replace(node, ...children) {
    node.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
  }
  const time = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '—');
  function took(a, b) {
    if (!a) return '—';
    const s = Math.max(0, Math.round(((b || Date.now()) - a) / 1000));
    if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`;
    return s >= 60 ? `${Math.floor(s / 60)} m ${s % 60} s` : `${s} s`;
  }
  const pct = (n) => `${Math.round(n)} %`;
  const badge = (text, kind) => el('span', { class: `badge ${kind || ''}`.trim() }, text);
  const colorBadge = (c) => (c ? el('span', { class: `color ${c}` }, c) : el('span', {}, '—'));
  function statusKind(s) {
    s = String(s || '').toLowerCase();
    if (['succeeded', 'healthy', 'running', 'primary', 'ok'].includes(s)) return 'ok';
    if (['failed', 'unhealthy', 'stopped', 'error', 'alarm'].includes(s)) return 'bad';
    if (['inprogress', 'in progress', 'initial', 'pending', 'ready', 'created', 'queued', 'draining', 'provisioning', 'activating'].includes(s)) return 'busy';
    return '';
  }

  // ---- snapshot ----------------------------------------------------------------------
  function renderListeners(s) {
    const box = $('#listeners');
    if (!s.listeners.length) return replace(box, el('p', { class: 'empty' }, 'No listener found.'));
    replace(box, ...s.listeners.map((l) => {
      const total = l.forwards.reduce((a, f) => a + Math.max(0, f.weight), 0);
      const bar = el('div', { class: 'bar', role: 'img', 'aria-label': `${l.role} traffic split` });
      const parts = [];
      for (const f of l.forwards) {
        const share = total ? (Math.max(0, f.weight) * 100) / total : 0;
        if (share > 0) {
          const seg = el('span', { class: `seg ${f.color}` }, `${f.target_group} ${pct(share)}`);
          seg.style.width = `${share}%`;
          bar.append(seg);
        }
        parts.push(`${f.target_group}: ${pct(share)}`);
      }
      return el('div', { class: 'listener', 'data-role': l.role },
        el('h3', {}, `${l.role === 'production' ? 'Production' : 'Test'} listener`, l.port ? ` :${l.port}` : ''),
        el('p', { class: 'forwards' }, parts.length ? parts.join(' · ') : 'forwards nowhere'),
        bar);
    }));
  }

  function renderTaskSets(s) {
    const rows = s.task_sets.map((t) => el('tr', { 'data-color': t.color, 'data-task-set': t.id },
      el('td', {}, colorBadge(t.color)),
      el('td', {}, badge(t.status, statusKind(t.status))),
      el('td', {}, t.revision || '—'),
      el('td', { class: 'mono' }, t.image || '—'),
      el('td', {}, `${t.running} / ${t.desired}`, t.pending ? ` (${t.pending} pending)` : ''),
      el('td', {}, t.scale_percent === null || t.scale_percent === undefined ? '—' : pct(t.scale_percent)),
      el('td', { class: 'traffic' }, pct(t.traffic_percent))));
    replace($('#task-sets tbody'), ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 7, class: 'empty' }, 'No task set.'))]));
  }

  function renderTasks(s) {
    const rows = s.tasks.map((t) => el('tr', { 'data-color': t.color },
      el('td', { class: 'mono' }, t.id),
      el('td', {}, colorBadge(t.color)),
      el('td', {}, t.availability_zone || '—'),
      el('td', {}, badge(t.last_status, statusKind(t.last_status))),
      el('td', {}, badge(t.health, statusKind(t.health))),
      el('td', { class: 'mono' }, t.target || '—'),
      el('td', {}, t.target_health ? badge(t.target_health, statusKind(t.target_health)) : '—')));
    replace($('#tasks tbody'), ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 7, class: 'empty' }, 'No task.'))]));
  }

  const ACTION_TEXT = {
    approve: ['Approve traffic switch', 'Let production traffic switch to the replacement of'],
    'end-wait': ['End termination wait', 'Stop the original tasks now, ending the termination wait of'],
    rollback: ['Roll back', 'Stop and roll back'],
  };

  function renderDeployment(s) {
    const d = s.deployment;
    state.deploymentId = d ? d.id : null;
    const outcome = $('#outcome');
    const stopped = $('#stopped-by');
    stopped.hidden = !(d && d.stopped_by);
    stopped.textContent = d && d.stopped_by ? `Stopped by ${d.stopped_by.text}` : '';
    stopped.dataset.guard = d && d.stopped_by ? d.stopped_by.guard : '';
    renderHooks(d);
    if (!d) {
      outcome.textContent = 'No deployment yet.';
      outcome.dataset.status = '';
      replace($('#deployment-facts'));
      replace($('#lifecycle'));
      $('#actions').hidden = true;
      return;
    }
    let text = `${d.id}: ${d.status}`;
    if (d.in_flight) text += ' (in flight)';
    if (d.rolled_back_by) text += ` — rolled back by ${d.rolled_back_by}`;
    if (d.rollback_of) text += ` — ${d.creator === 'codeDeployRollback' ? 'automatic ' : ''}rollback of ${d.rollback_of}`;
    outcome.textContent = text;
    outcome.dataset.status = d.status;
    outcome.className = `outcome ${statusKind(d.status)}`;
    const facts = [['Status', d.status], ['Created', time(d.created_ms)], ['Took', took(d.created_ms, d.completed_ms)]];
    if (d.description) facts.push(['Description', d.description]);
    if (d.error) facts.push(['Error', d.error]);
    replace($('#deployment-facts'), ...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-fact': k.toLowerCase() }, v)]));
    replace($('#lifecycle'), ...d.lifecycle.map((e) => el('li', { 'data-event': e.name, 'data-status': e.status },
      el('span', { class: 'event' }, e.name), ' ', badge(e.status, statusKind(e.status)),
      el('span', { class: 'when' }, e.start_ms ? ` ${time(e.start_ms)}, ${took(e.start_ms, e.end_ms)}` : ''))));
    const box = $('#actions');
    const offered = actionsOn ? d.actions : [];
    box.hidden = offered.length === 0;
    const current = Array.from(box.children).map((b) => b.dataset.action).join(',');
    if (current !== offered.join(',')) {
      replace(box, ...offered.map((a) => {
        const b = el('button', { type: 'button', 'data-action': a, class: a === 'rollback' ? 'danger' : '' }, ACTION_TEXT[a][0]);
        b.addEventListener('click', () => confirmAction(a));
        return b;
      }));
    }
  }

  // The validation hooks of the deployment's AppSpec: their lifecycle event's state, and
  // for a failed one its failing check, its figures and the last lines of its log.
  const HOOK_WORD = { Pending: 'pending', InProgress: 'running' };
  function renderHooks(d) {
    const box = $('#hooks');
    if (!d || !d.hooks.length) {
      return replace(box, el('p', { class: 'empty' }, 'No validation hook in this deployment\'s AppSpec.'));
    }
    replace(box, ...d.hooks.map((h) => {
      const parts = [el('p', { class: 'hook-head' },
        el('span', { class: 'event' }, `${h.function} (${h.event})`), ' ',
        badge(HOOK_WORD[h.status] || h.status, statusKind(h.status)),
        el('span', { class: 'when' }, h.start_ms ? ` ${time(h.start_ms)}, ${took(h.start_ms, h.end_ms)}` : ''))];
      if (h.check) parts.push(el('p', { class: 'check' }, `Failing check: ${h.check}`));
      if (h.figures) parts.push(el('p', { class: 'figures' }, h.figures));
      if (h.log_error) parts.push(el('p', { class: 'bad' }, `Could not read ${h.log_group}: ${h.log_error}`));
      if (h.log_lines.length) {
        parts.push(el('p', { class: 'when' }, `Last lines of ${h.log_group}:`),
          el('pre', { class: 'hook-log', tabindex: '0' }, h.log_lines.join('\n')));
      }
      return el('div', { class: 'hook', 'data-event': h.event, 'data-status': h.status }, ...parts);
    }));
  }

  function renderAlarms(s) {
    const status = $('#alarms-status');
    if (s.alarms_error) status.textContent = `Could not read the alarms: ${s.alarms_error}`;
    else if (!s.alarms.length) status.textContent = 'The deployment group watches no alarm.';
    else status.textContent = 'CodeDeploy stops a deployment and rolls it back when one of these is in ALARM.';
    status.classList.toggle('bad', Boolean(s.alarms_error));
    const rows = s.alarms.map((a) => el('tr', { 'data-alarm': a.name, 'data-state': a.state },
      el('td', { class: 'mono' }, a.name),
      el('td', {}, badge(a.state, statusKind(a.state))),
      el('td', {}, a.rule),
      el('td', { class: 'value' }, a.value === null || a.value === undefined ? '—' : String(a.value)),
      el('td', {}, time(a.changed_ms)),
      el('td', { class: 'note' }, a.reason)));
    replace($('#alarms tbody'), ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 6, class: 'empty' }, 'No alarm.'))]));
  }

  function renderRecent(s) {
    const rows = s.recent.map((d) => el('tr', { 'data-deployment': d.id, 'data-status': d.status },
      el('td', { class: 'mono' }, d.id),
      el('td', {}, badge(d.status, statusKind(d.status))),
      el('td', {}, time(d.created_ms)),
      el('td', {}, took(d.created_ms, d.completed_ms)),
      el('td', { class: 'note' }, d.rollback_of ? [`rollback of ${d.rollback_of}`, d.error].filter(Boolean).join(' — ') : (d.error || d.description || ''))));
    replace($('#recent tbody'), ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 5, class: 'empty' }, 'None yet.'))]));
  }

  // The tail of the logs: one row per line (time, task, level, message), appended as new
  // lines arrive (role=log is polite: only the new rows are announced); the view follows
  // the newest line unless the user scrolled up.
  const logKey = (l) => `${l.at_ms}\n${l.stream}\n${l.message}`;
  function renderLogs(s) {
    const box = $('#logs');
    const status = $('#logs-status');
    if (!s.logs_source) { status.textContent = 'This dashboard does not read the service\'s logs.'; return; }
    if (s.logs_error) status.textContent = `Could not read the logs of ${s.logs_source}: ${s.logs_error}`;
    else if (!s.logs.length) status.textContent = `No log lines in ${s.logs_source} yet.`;
    else status.textContent = `The last ${s.logs.length} lines of ${s.logs_source}, newest at the bottom.`;
    status.classList.toggle('bad', Boolean(s.logs_error));
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    const keep = new Set(s.logs.map(logKey));
    for (const row of [...box.children]) if (!keep.has(row.dataset.key)) row.remove();
    const shown = new Set([...box.children].map((r) => r.dataset.key));
    for (const l of s.logs) {
      const key = logKey(l);
      if (shown.has(key)) continue;
      const row = el('div', { class: 'logline', 'data-key': key },
        el('time', { dateTime: new Date(l.at_ms).toISOString() }, time(l.at_ms)), ' ',
        el('span', { class: 'task', title: l.stream }, l.task), ' ',
        el('span', { class: `level level-${String(l.level).toLowerCase()}` }, l.level), ' ',
        el('span', { class: 'msg' }, l.message));
      row.dataset.key = key;
      box.append(row);
    }
    if (atEnd) box.scrollTop = box.scrollHeight;
  }

  function render(s) {
    state.snapshots += 1;
    state.last = s;
    $('#where').textContent = `${s.environment} · ${s.cluster}/${s.service}`;
    const err = $('#poll-error');
    err.hidden = !s.error;
    err.textContent = s.error ? `Last poll failed (showing the poll before): ${s.error}` : '';
    $('#connection').textContent = `live · updated ${time(s.taken_at_ms)}`;
    renderListeners(s);
    renderDeployment(s);
    renderTaskSets(s);
    renderTasks(s);
    renderAlarms(s);
    renderRecent(s);
    renderLogs(s);
  }

  // ---- probe chart -------------------------------------------------------------------
  const PALETTE = ['#1d4ed8', '#047857', '#7c3aed', '#b45309', '#0e7490', '#be185d'];
  const colorOf = (v, i) => (v === 'error' ? '#b91c1c' : PALETTE[i % PALETTE.length]);
  const SVG = 'http://www.w3.org/2000/svg'; // the SVG namespace (nothing is fetched)
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }
  function renderProbe(p) {
    state.probes += 1;
    state.probe = p;
    const W = 600, H = 160;
    const now = p.buckets.length ? p.buckets[p.buckets.length - 1].second : 0;
    const first = now - p.window_seconds + 1;
    const max = Math.max(1, p.rate_per_second, ...p.buckets.map((b) => b.counts.reduce((a, n) => a + n, 0)));
    const bw = W / p.window_seconds;
    const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', height: H, role: 'img', 'aria-labelledby': 'probe-summary', preserveAspectRatio: 'none' });
    chart.append(svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#f8fafc' }));
    for (const b of p.buckets) {
      let y = H;
      b.counts.forEach((n, i) => {
        if (!n) return;
        const h = (n / max) * H;
        y -= h;
        chart.append(svg('rect', { x: (b.second - first) * bw, y, width: Math.max(bw - 0.5, 0.5), height: h, fill: colorOf(p.versions[i], i) }));
      });
    }
    replace($('#chart'), chart);
    const recent = p.buckets.filter((b) => b.second > now - 10);
    const totals = p.versions.map((_, i) => recent.reduce((a, b) => a + b.counts[i], 0));
    const all = totals.reduce((a, n) => a + n, 0);
    const summary = p.versions.map((v, i) => [v, totals[i]]).filter(([, n]) => n > 0).map(([v, n]) => `${v} ${pct((n * 100) / all)}`);
    $('#probe-summary').textContent = `${p.target}, ${p.rate_per_second}/s, last ${Math.round(p.window_seconds / 60)} min. Last 10 s: ${summary.length ? summary.join(', ') : 'no answer'}.`;
    replace($('#legend'), ...p.versions.map((v, i) => {
      const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.background = colorOf(v, i);
      return el('li', { 'data-version': v }, sw, v);
    }));
  }

  // ---- actions -----------------------------------------------------------------------
  function confirmAction(kind) {
    const id = state.deploymentId;
    if (!id) return;
    const dialog = $('#confirm');
    $('#confirm-h').textContent = ACTION_TEXT[kind][0];
    $('#confirm-text').textContent = `${ACTION_TEXT[kind][1]} ${id}?`;
    const ok = $('#confirm-ok');
    const cancel = $('#confirm-cancel');
    const done = (go) => {
      ok.onclick = null; cancel.onclick = null;
      dialog.close();
      if (go) send(kind, id);
    };
    ok.onclick = () => done(true);
    cancel.onclick = () => done(false);
    dialog.oncancel = () => { ok.onclick = null; cancel.onclick = null; }; // Escape
    dialog.showModal();
    cancel.focus();
  }
  async function send(kind, id) {
    const out = $('#action-result');
    out.textContent = `${ACTION_TEXT[kind][0]}: sending…`;
    try {
      const r = await fetch(`actions/${kind}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ deployment_id: id }),
        credentials: 'same-origin',
      });
      const text = await r.text();
      let message = text;
      try { message = JSON.parse(text).message || text; } catch (_) { /* plain text error */ }
      out.textContent = r.ok ? message : `Refused (${r.status}): ${message}`;
      out.dataset.ok = r.ok ? 'yes' : 'no';
    } catch (e) {
      out.textContent = `Could not reach the dashboard: ${e}`;
      out.dataset.ok = 'no';
    }
  }

  // ---- stream ------------------------------------------------------------------------
  if (!probeOn) {
    $('#probe-summary').textContent = 'The probe is off (start the dashboard with --probe to chart the answers).';
  }
  const es = new EventSource('events');
  es.addEventListener('snapshot', (e) => render(JSON.parse(e.data)));
  es.addEventListener('probe', (e) => renderProbe(JSON.parse(e.data)));
  es.onopen = () => { $('#connection').textContent = 'live'; };
  es.onerror = () => { $('#connection').textContent = 'connection lost: retrying…'; };
})();
