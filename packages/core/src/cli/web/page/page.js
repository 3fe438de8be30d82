// The mmstats web page. Every value from the files reaches the DOM as text (textContent, text
// nodes, setAttribute), never as markup, so a label holding `<script>` shows as those characters.
(() => {
  /** Points of history kept per series, one per update. */
  const HISTORY = 300;
  /** Updates a histogram's quantiles look back over, like the window of a rate(). */
  const QUANTILE_WINDOW = 10;
  const COLORS = ['#d9480f', '#1971c2', '#2f9e44'];

  const statusEl = document.getElementById('status');
  const appsEl = document.getElementById('apps');
  const skippedEl = document.getElementById('skipped');
  const skippedList = document.getElementById('skipped-list');
  const panel = document.getElementById('chart-panel');
  const chartEl = document.getElementById('chart');
  const chartTitle = document.getElementById('chart-title');
  const chartNote = document.getElementById('chart-note');
  const filterEl = document.getElementById('filter');

  /** id -> { type, family, labels, t: [], v: [] | null, count: [], les: [], buckets: [[]] } */
  const history = new Map();
  /** id -> the cells to update in place while the page's structure stays the same. */
  let cells = new Map();
  let structure = '';
  let selected = null;
  let chart = null;
  let lastUpdate = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  const num = (v) => (typeof v === 'number' ? v : v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : NaN);

  function format(value) {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return String(value);
    const abs = Math.abs(value);
    return abs !== 0 && (abs < 0.001 || abs >= 1e9)
      ? value.toExponential(3)
      : String(Number(value.toPrecision(6)));
  }

  const labelText = (labels) => labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');

  function remember(series, family, time) {
    let h = history.get(series.id);
    if (h === undefined) {
      h = {
        type: family.type,
        family: family.name,
        labels: series.labels,
        t: [],
        v: [],
        count: [],
        les: [],
        buckets: [],
      };
      history.set(series.id, h);
    }
    h.t.push(time);
    if (family.type === 'histogram') {
      h.les = series.buckets.map(([le]) => le);
      h.count.push(num(series.count));
      h.buckets.push(series.buckets.map(([, c]) => num(c)));
    } else h.v.push(num(series.value));
    if (h.t.length > HISTORY) {
      h.t.shift();
      h.v.shift();
      h.count.shift();
      h.buckets.shift();
    }
    return h;
  }

  /** The rate per second between the last two points; null while there is only one. */
  function lastRate(h) {
    const n = h.t.length;
    if (n < 2) return null;
    const dv = h.v[n - 1] - h.v[n - 2];
    const dt = h.t[n - 1] - h.t[n - 2];
    return dv >= 0 && dt > 0 ? dv / dt : null;
  }

  function seriesCells(family) {
    return family.type === 'histogram'
      ? [el('td', { class: 'value count' }), el('td', { class: 'value sum' })]
      : [el('td', { class: 'value' }), el('td', { class: 'value rate' })];
  }

  function fill(family, series, row, h) {
    if (family.type === 'histogram') {
      row[0].textContent = `count ${format(num(series.count))}`;
      row[1].textContent = `sum ${format(num(series.sum))}`;
    } else {
      row[0].textContent = format(num(series.value));
      const rate = family.type === 'counter' ? lastRate(h) : null;
      row[1].textContent = rate === null ? '' : `${format(rate)}/s`;
    }
  }

  function structureOf(snapshot) {
    const parts = [];
    for (const app of snapshot.apps) {
      parts.push(`a${app.app}`);
      for (const p of app.processes) {
        parts.push(`p${p.path}${p.running}`);
        for (const f of p.families) for (const s of f.series) parts.push(s.id);
        for (const [k, v] of p.other) parts.push(`o${k}=${v}`);
      }
    }
    for (const s of snapshot.skipped) parts.push(`s${s.path}${s.reason}`);
    return parts.join('\n');
  }

  function build(snapshot) {
    cells = new Map();
    const apps = [];
    for (const app of snapshot.apps) {
      const section = el('section', { class: 'app', 'data-app': app.app }, el('h2', {}, `app ${app.app}`));
      for (const p of app.processes) {
        const state = p.running === true ? 'running' : p.running === false ? 'exited' : 'state unknown';
        section.append(
          el(
            'h3',
            { title: p.path },
            p.pid === null ? 'process (no pid)' : `pid ${p.pid}`,
            el('span', { class: `state ${state === 'exited' ? 'exited' : ''}` }, `(${state})`),
            el('span', { class: 'help' }, p.path),
          ),
        );
        for (const f of p.families) {
          const group = el(
            'div',
            { class: 'family-group' },
            el(
              'div',
              { class: 'family' },
              el('span', { class: 'family-name' }, f.name),
              el('span', { class: 'type' }, f.type),
              el('span', { class: 'help' }, f.help),
            ),
          );
          const table = el('table', { 'data-family': f.name });
          for (const s of f.series) {
            const row = seriesCells(f);
            const text = labelText(s.labels);
            const tr = el(
              'tr',
              { class: 'series', 'data-id': s.id, 'data-family': f.name, 'data-labels': text, tabindex: '0' },
              el('td', { class: 'labels' }, text === '' ? '(no labels)' : text),
              ...row,
            );
            if (s.id === selected) tr.classList.add('selected');
            tr.addEventListener('click', () => select(s.id));
            tr.addEventListener('keydown', (event) => {
              if (event.key === 'Enter') select(s.id);
            });
            table.append(tr);
            cells.set(s.id, { family: f, row });
          }
          group.append(table);
          section.append(group);
        }
        if (p.other.length > 0) {
          const list = el('table', {});
          for (const [k, v] of p.other)
            list.append(el('tr', {}, el('td', { class: 'labels' }, k), el('td', {}, v)));
          section.append(
            el('details', { class: 'other' }, el('summary', {}, `${p.other.length} other field(s)`), list),
          );
        }
      }
      apps.push(section);
    }
    if (apps.length === 0)
      apps.push(el('p', {}, `No readable mmstats files in ${snapshot.reading} right now.`));
    appsEl.replaceChildren(...apps);
    skippedList.replaceChildren(...snapshot.skipped.map((s) => el('li', {}, `${s.path}: ${s.reason}`)));
    skippedEl.hidden = snapshot.skipped.length === 0;
    applyFilter();
  }

  /** Hides the series whose family name and labels do not contain the filter text, and emptied families. */
  function applyFilter() {
    const text = filterEl.value.trim().toLowerCase();
    for (const group of appsEl.querySelectorAll('.family-group')) {
      let shown = 0;
      for (const tr of group.querySelectorAll('tr.series')) {
        const haystack = `${tr.getAttribute('data-family')} ${tr.getAttribute('data-labels')}`.toLowerCase();
        const match = text === '' || haystack.includes(text);
        tr.classList.toggle('hidden', !match);
        if (match) shown++;
      }
      group.classList.toggle('hidden', shown === 0);
    }
  }

  filterEl.addEventListener('input', applyFilter);

  function update(snapshot) {
    const time = snapshot.time / 1000;
    const shape = structureOf(snapshot);
    if (shape !== structure) {
      structure = shape;
      build(snapshot);
    }
    let files = 0;
    let series = 0;
    const seen = new Set();
    for (const app of snapshot.apps) {
      for (const p of app.processes) {
        files++;
        for (const f of p.families) {
          for (const s of f.series) {
            series++;
            seen.add(s.id);
            const h = remember(s, f, time);
            const cell = cells.get(s.id);
            if (cell) fill(f, s, cell.row, h);
          }
        }
      }
    }
    for (const id of history.keys()) if (!seen.has(id)) history.delete(id);
    lastUpdate = Date.now();
    statusEl.className = '';
    statusEl.textContent = `${snapshot.reading}: ${snapshot.apps.length} app(s), ${files} file(s), ${series} series, ${snapshot.skipped.length} skipped; updated ${new Date(snapshot.time).toLocaleTimeString()}`;
    if (selected !== null) draw();
  }

  /** histogram_quantile over bucket increases, as Prometheus computes it. */
  function quantile(q, les, increases, total) {
    const rank = q * total;
    let previousLe = 0;
    let previousCount = 0;
    for (let i = 0; i < les.length; i++) {
      const le = les[i] === '+Inf' ? Infinity : Number(les[i]);
      const count = increases[i];
      if (count >= rank) {
        if (le === Infinity) return previousLe;
        const lower = i === 0 && le <= 0 ? le : previousLe;
        return count === previousCount
          ? le
          : lower + ((le - lower) * (rank - previousCount)) / (count - previousCount);
      }
      previousLe = le;
      previousCount = count;
    }
    return null;
  }

  function chartData(h) {
    const xs = h.t.slice(1);
    if (h.type === 'counter') {
      const rates = xs.map((t, i) => {
        const dv = h.v[i + 1] - h.v[i];
        const dt = t - h.t[i];
        return dv >= 0 && dt > 0 ? dv / dt : null;
      });
      return { labels: ['rate per second'], data: [xs, rates] };
    }
    if (h.type === 'histogram') {
      const lines = [0.5, 0.95, 0.99].map((q) =>
        xs.map((_, k) => {
          const i = k + 1;
          const j = Math.max(0, i - QUANTILE_WINDOW);
          const total = h.count[i] - h.count[j];
          if (!(total > 0)) return null;
          const increases = h.buckets[i].map((c, b) => c - (h.buckets[j][b] || 0));
          return quantile(q, h.les, increases, total);
        }),
      );
      return { labels: ['p50', 'p95', 'p99'], data: [xs, ...lines] };
    }
    return { labels: ['value'], data: [h.t.slice(), h.v.slice()] };
  }

  function draw() {
    const h = history.get(selected);
    if (h === undefined) {
      chartNote.textContent = 'This series is gone from the files.';
      return;
    }
    const { labels, data } = chartData(h);
    const kind =
      h.type === 'counter'
        ? 'rate per second'
        : h.type === 'histogram'
          ? `p50, p95, p99 over the last ${QUANTILE_WINDOW} s`
          : 'value';
    chartNote.textContent = `${h.type}: ${kind}; ${h.t.length} point(s) since this page opened`;
    const width = Math.max(300, chartEl.clientWidth || panel.clientWidth || 800);
    if (chart === null || chart.series.length !== labels.length + 1) {
      if (chart !== null) chart.destroy();
      chart = new uPlot(
        {
          width,
          height: 220,
          scales: { x: { time: true } },
          series: [
            {},
            ...labels.map((label, i) => ({ label, stroke: COLORS[i], width: 2, spanGaps: false })),
          ],
          axes: [{}, { size: 70 }],
          legend: { show: true },
        },
        data,
        chartEl,
      );
    } else chart.setData(data);
  }

  function select(id) {
    selected = id;
    for (const tr of appsEl.querySelectorAll('tr.series.selected')) tr.classList.remove('selected');
    for (const tr of appsEl.querySelectorAll('tr.series'))
      if (tr.getAttribute('data-id') === id) tr.classList.add('selected');
    const h = history.get(id);
    chartTitle.textContent = h ? `${h.family}{${labelText(h.labels)}}` : id;
    panel.hidden = false;
    if (chart !== null) {
      chart.destroy();
      chart = null;
    }
    draw();
  }

  document.getElementById('chart-close').addEventListener('click', () => {
    selected = null;
    panel.hidden = true;
    if (chart !== null) chart.destroy();
    chart = null;
    for (const tr of appsEl.querySelectorAll('tr.series.selected')) tr.classList.remove('selected');
  });

  const source = new EventSource('/api/events');
  source.onmessage = (event) => {
    const snapshot = JSON.parse(event.data);
    if (snapshot.error) {
      statusEl.textContent = `error reading the files: ${snapshot.error}`;
      return;
    }
    update(snapshot);
  };
  setInterval(() => {
    if (lastUpdate !== 0 && Date.now() - lastUpdate > 3000) {
      statusEl.className = 'stale';
      statusEl.textContent = `no update for ${Math.round((Date.now() - lastUpdate) / 1000)} s: is mmstats web still running?`;
    }
  }, 1000);
})();
