// klimatgraf web page: search, document view, compare, network and SPARQL over `klimatgraf serve`.
// Plain ES module, no build step. Every piece of server text goes in through textContent; the only
// HTML taken from the server is the search `html` field, and of that only <mark> survives (safeMarked).
// Views are hash routes (#/?q=…, #/dokument/<doc>/<pid>, #/jamfor?m=…, #/teman?under=…, #/natverk, #/sparql) so that
// back/forward, bookmarks and links to a paragraph work without a server-side router.

const $ = (selector) => document.querySelector(selector);

const TYPE_LABELS = { klimatkontrakt: 'Klimatkontrakt', avsiktsforklaring: 'Fördjupad avsiktsförklaring' };
const typeLabel = (type) => TYPE_LABELS[type] || type || '';
const number = new Intl.NumberFormat('sv-SE', { maximumFractionDigits: 3 });

/** Build an element: attributes (on*, dataset-free), then children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    // styles through the CSSOM: a style attribute would break the page's own CSP (no inline styles)
    else if (key === 'style') Object.assign(node.style, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The search `html` field as DOM: text stays text, <mark> stays <mark>, any other markup is flattened to text. */
function safeMarked(html) {
  const parsed = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html').body;
  const out = document.createDocumentFragment();
  for (const node of parsed.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.tagName === 'MARK') out.append(el('mark', {}, node.textContent));
    else out.append(document.createTextNode(node.textContent));
  }
  return out;
}

class ApiError extends Error {
  constructor(message, status, suggestions) {
    super(message);
    this.status = status;
    this.suggestions = suggestions || [];
  }
}

/** fetch + JSON, turning the server's `{"error", "suggestions"}` answers into one readable message. */
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError('servern svarar inte – kör `klimatgraf serve` och ladda om sidan', 0);
  }
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    const message = (body && body.error) || (typeof body === 'string' && body) || response.statusText;
    throw new ApiError(message, response.status, body && body.suggestions);
  }
  return { body, type, readAs: decodeURIComponent(response.headers.get('x-klimatgraf-read-as') || '') };
}

function errorText(err) {
  const hint = err.suggestions && err.suggestions.length ? ` Menade du: ${err.suggestions.join(', ')}?` : '';
  return `Fel: ${err.message}${hint}`;
}

function setStatus(node, text, isError = false) {
  node.textContent = text;
  node.classList.toggle('error', isError);
}

// ---------------------------------------------------------------------------------------------
// Routing

const views = ['search', 'document', 'compare', 'themes', 'network', 'sparql'];
const state = { municipalities: [], documents: new Map(), lastSearch: '#/', rendered: null, marked: new Map() };

function parseHash() {
  const hash = location.hash.startsWith('#/') ? location.hash.slice(2) : '';
  const [path, query = ''] = hash.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

function showView(name, { focus = true } = {}) {
  for (const view of views) $(`#view-${view}`).hidden = view !== name;
  const navView = name === 'document' ? 'search' : name;
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    if (link.dataset.view === navView) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (focus) $(`#view-${name} h2`).focus({ preventScroll: true });
}

/** Go to a hash route; when the hash is already current, render it again (no hashchange fires). */
function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function route() {
  if (location.hash && !location.hash.startsWith('#/')) return; // in-page anchors such as the skip link
  const key = location.hash || '#/';
  const first = state.rendered === null;
  if (key === state.rendered) return;
  state.rendered = key;
  const { parts, params } = parseHash();
  const [view, ...rest] = parts;
  if (view === 'dokument') {
    showView('document', { focus: false });
    await showDocument(rest[0], rest.slice(1).join('/'));
  } else if (view === 'jamfor') {
    showView('compare', { focus: !first });
    await showCompare(params.getAll('m'));
  } else if (view === 'teman') {
    showView('themes', { focus: !first });
    await showThemes(params.get('under') || '');
  } else if (view === 'natverk') {
    showView('network', { focus: !first });
    await showNetwork();
  } else if (view === 'sparql') {
    showView('sparql', { focus: !first });
    await showSparql(params.get('exempel'));
  } else {
    showView('search', { focus: false });
    await showSearch(params, first);
  }
  document.title = `klimatgraf – ${$('[class="view"]:not([hidden]) h2')?.firstChild?.textContent?.trim() || 'sök'}`;
}

// ---------------------------------------------------------------------------------------------
// Shared data: municipalities and documents (for filters, pickers and link labels)

let municipalitiesLoaded = null;
function loadMunicipalities() {
  municipalitiesLoaded ??= api('api/municipalities').then(({ body }) => {
    state.municipalities = body;
    for (const doc of body) state.documents.set(doc.document, doc);
    const names = [...new Set(body.map((d) => d.municipality))].sort((a, b) => a.localeCompare(b, 'sv'));
    const types = [...new Set(body.map((d) => d.type))].sort();
    $('#filter-m').append(...names.map((name) => el('option', { value: name }, name)));
    $('#filter-type').append(...types.map((type) => el('option', { value: type }, typeLabel(type))));
    $('#compare-choices').append(
      ...names.map((name) => el('label', {}, el('input', { type: 'checkbox', name: 'm', value: name }), name)),
    );
    return body;
  });
  return municipalitiesLoaded;
}

function documentLabel(docId) {
  const doc = state.documents.get(docId);
  return doc ? `${doc.municipality} · ${typeLabel(doc.type)}` : docId;
}

/** A paragraph id without its `<doc>/` prefix: what people see and what the link carries. */
const shortPid = (docId, pid) => (String(pid).startsWith(`${docId}/`) ? String(pid).slice(docId.length + 1) : String(pid));

function paragraphHash(docId, pid) {
  const short = shortPid(docId, pid);
  return `#/dokument/${encodeURIComponent(docId)}/${short.split('/').map(encodeURIComponent).join('/')}`;
}

function paragraphLink(hit) {
  const where = [documentLabel(hit.document), hit.section || null, hit.page ? `s. ${hit.page}` : null, `stycke ${shortPid(hit.document, hit.pid)}`];
  return el(
    'a',
    { href: paragraphHash(hit.document, hit.pid) },
    where.filter(Boolean).join(' › '),
  );
}

// ---------------------------------------------------------------------------------------------
// Search

const search = { controller: null, seq: 0, timer: null };

function searchParamsFromForm() {
  const form = $('#search-form');
  const params = new URLSearchParams();
  const q = $('#q').value.trim();
  if (q) params.set('q', q);
  const group = form.elements.group.value;
  if (group && group !== 'municipality') params.set('group', group);
  if ($('#filter-m').value) params.set('m', $('#filter-m').value);
  if ($('#filter-type').value) params.set('type', $('#filter-type').value);
  return params;
}

function fillSearchForm(params, first) {
  if (!(first && !params.get('q'))) $('#q').value = params.get('q') || ''; // keep what was typed while loading
  const group = params.get('group') === 'paragraph' ? 'paragraph' : 'municipality';
  for (const radio of document.querySelectorAll('input[name="group"]')) radio.checked = radio.value === group;
  $('#filter-m').value = params.get('m') || '';
  $('#filter-type').value = params.get('type') || '';
}

async function showSearch(params, first) {
  await loadMunicipalities().catch((err) => setStatus($('#search-status'), errorText(err), true));
  fillSearchForm(params, first);
  if (params.get('q')) await runSearch(params);
  else {
    $('#search-results').replaceChildren();
    setStatus($('#search-status'), '');
  }
}

/** Submit (Enter/button) adds a history entry; typing and filter changes replace the current one. */
function submitSearch({ push }) {
  clearTimeout(search.timer);
  const params = searchParamsFromForm();
  const hash = params.toString() ? `#/?${params}` : '#/';
  if (push) {
    if (location.hash === hash) state.rendered = null;
    navigate(hash);
  } else {
    history.replaceState(null, '', hash);
    state.rendered = hash;
    if (params.get('q')) runSearch(params);
  }
}

async function runSearch(params) {
  const q = params.get('q');
  const group = params.get('group') === 'paragraph' ? 'paragraph' : 'municipality';
  const query = new URLSearchParams({ q, k: group === 'paragraph' ? '20' : '10', group });
  for (const m of params.getAll('m')) query.append('m', m);
  if (params.get('type')) query.set('type', params.get('type'));
  state.lastSearch = `#/?${params}`;
  $('#doc-back').setAttribute('href', state.lastSearch);

  search.controller?.abort();
  search.controller = new AbortController();
  const seq = ++search.seq;
  const started = performance.now();
  performance.mark(`kg-search-start-${seq}`);
  setStatus($('#search-status'), 'Söker …');
  $('#search-results').setAttribute('aria-busy', 'true');
  try {
    // who-answers come as one record (GET /api/answer): how the question was read, which path answered
    // (the graph, the vocabulary's concepts or similarity), the SPARQL a graph answer ran, the near misses
    const route = group === 'municipality' ? 'api/answer' : 'api/search';
    const { body: answered, readAs } = await api(`${route}?${query}`, { signal: search.controller.signal });
    if (seq !== search.seq) return;
    const record = group === 'municipality' ? answered : null;
    const body = record ? record.municipalities : answered;
    await loadMunicipalities().catch(() => {});
    renderSearch(body, group);
    if (group === 'municipality' && !body.length && record && !record.sparql) {
      // nobody passes the cut-off: the near misses (the full ranking) folded under "visa fler"
      query.set('all', 'true');
      const near = (await api(`api/search?${query}`, { signal: search.controller.signal })).body;
      if (seq !== search.seq) return;
      if (near.length) renderNearMisses(near, q);
    }
    if (record) renderReading(record);
    const ms = Math.round(performance.now() - started);
    performance.measure('kg-search', `kg-search-start-${seq}`);
    const what = group === 'paragraph' ? `${body.length} stycken` : `${body.length} kommuner`;
    const none = record ? record.nobody : `Inga träffar för ”${q}”. Pröva andra ord.`;
    // a question typed without å/ä/ö: the server says how it read it
    const read = readAs ? ` (läst som ”${readAs}”)` : '';
    const status = body.length ? `${what} för ”${q}”${read} (${ms} ms)` : `${none}${read}`;
    setStatus($('#search-status'), status);
    $('#search-results').dataset.query = q;
  } catch (err) {
    if (err.name === 'AbortError' || seq !== search.seq) return;
    $('#search-results').replaceChildren();
    setStatus($('#search-status'), errorText(err), true);
  } finally {
    if (seq === search.seq) $('#search-results').removeAttribute('aria-busy');
  }
}

function evidenceItem(hit) {
  const others = (hit.municipalities || []).filter((m) => m !== hit.municipality);
  return el(
    'li',
    {},
    el('p', { class: 'snippet' }, safeMarked(hit.html ?? hit.text)),
    el(
      'p',
      { class: 'source' },
      'Källa: ',
      paragraphLink(hit),
      hit.boilerplate ? el('span', { class: 'badge', title: 'Text från den gemensamma mallen' }, 'mall') : null,
      others.length ? el('span', { class: 'meta' }, ` · samma text även hos ${others.join(', ')}`) : null,
    ),
  );
}

function renderSearch(body, group) {
  state.marked.clear(); // the document view marks the query words in the paragraph a link leads to
  delete $('#doc-body').dataset.document; // a new question: the document view is drawn again with its marks
  for (const hit of group === 'paragraph' ? body : body.flatMap((g) => g.evidence || [])) {
    if (hit.html) state.marked.set(hit.pid, hit.html);
  }
  const list = el('ol', { class: 'ranked', 'aria-label': group === 'paragraph' ? 'Stycken' : 'Kommuner, bäst först' });
  for (const [i, item] of body.entries()) {
    if (group === 'paragraph') {
      list.append(
        el(
          'li',
          { class: 'result' },
          el('h3', {}, `${item.rank ?? i + 1}. ${item.municipality}`, el('span', { class: 'meta' }, `poäng ${number.format(item.score)}`)),
          el('ul', { class: 'evidence' }, evidenceItem(item)),
        ),
      );
    } else {
      const evidence = item.evidence || [];
      list.append(
        el(
          'li',
          { class: 'result', 'data-municipality': item.municipality },
          el(
            'h3',
            {},
            `${i + 1}. ${item.municipality}`,
            el('span', { class: 'meta' }, `kommunkod ${item.kommunkod} · poäng ${number.format(item.score)}`),
          ),
          evidence.length
            ? el('ul', { class: 'evidence', 'aria-label': `Belägg för ${item.municipality}` }, evidence.map(evidenceItem))
            : null,
        ),
      );
    }
  }
  $('#search-results').replaceChildren(list);
}

const PATHS = {
  graph: 'grafen',
  'graph+concepts': 'grafen och begreppen',
  concepts: 'begreppen i vokabulären',
  similarity: 'likhet (osäkert)',
};

/** How the question was read and which path answered; a graph answer shows the SPARQL it ran. */
function renderReading(record) {
  const results = $('#search-results');
  const how = el('p', { class: 'reading', id: 'search-reading' }, record.path === 'nobody' ? `${record.read_as.said} · ingen kommun svarar` : `${record.read_as.said} · svaret från ${PATHS[record.path] || record.path}`);
  const parts = [how];
  if (record.sparql) {
    parts.push(
      el(
        'details',
        { class: 'sparql-used' },
        el('summary', {}, 'Så här frågade vi grafen (SPARQL)'),
        el('pre', {}, el('code', {}, record.sparql)),
      ),
    );
  }
  if (!record.municipalities.length && record.near_misses.length) {
    const near = record.near_misses.map((n) => el('li', {}, `${n.label}: ${n.municipalities.join(', ')}`));
    parts.push(el('details', { class: 'near-concepts' }, el('summary', {}, 'visa fler: närliggande begrepp som nämns'), el('ul', {}, near)));
  }
  results.prepend(...parts);
}

function renderNearMisses(near, q) {
  const results = $('#search-results');
  renderSearch(near, 'municipality');
  const list = results.firstChild;
  list.setAttribute('aria-label', `Närmast, men nämner inte ”${q}”`);
  for (const item of list.querySelectorAll('.result')) item.className = 'near-miss'; // not an answer
  results.replaceChildren(el('details', { class: 'near-misses' }, el('summary', {}, `visa fler (${near.length} kommuner, närmast men under gränsen)`), list));
}

// ---------------------------------------------------------------------------------------------
// Document view

const documentCache = new Map();

async function showDocument(docId, pid) {
  const body = $('#doc-body');
  if (!docId) return;
  setStatus($('#doc-status'), 'Hämtar dokumentet …');
  let doc;
  try {
    if (!documentCache.has(docId)) documentCache.set(docId, (await api(`api/documents/${encodeURIComponent(docId)}`)).body);
    doc = documentCache.get(docId);
  } catch (err) {
    body.replaceChildren();
    $('#doc-title').textContent = docId;
    setStatus($('#doc-status'), errorText(err), true);
    $('#doc-title').focus();
    return;
  }
  if (body.dataset.document !== docId) {
    $('#doc-title').textContent = `${doc.municipality} – ${typeLabel(doc.type)}`;
    $('#doc-meta').textContent = `Kommunkod ${doc.kommunkod} · fil ${doc.file} · ${doc.paragraphs.length} stycken`;
    const parts = [];
    let section = null;
    for (const p of doc.paragraphs) {
      if (p.section && p.section !== section) {
        section = p.section;
        parts.push(el('h3', {}, section));
      }
      const link = paragraphHash(docId, p.pid);
      parts.push(
        el(
          'div',
          { class: `para${p.boilerplate ? ' boilerplate' : ''}`, id: `p-${p.pid}`, 'data-pid': p.pid, tabindex: '-1' },
          el(
            'span',
            { class: 'pid' },
            el('a', { href: link, 'aria-label': `Länk till stycke ${shortPid(docId, p.pid)}` }, `¶ ${shortPid(docId, p.pid)}`),
            p.page ? el('span', {}, ` s. ${p.page}`) : null,
          ),
          el('p', {}, p.text, p.boilerplate ? el('span', { class: 'badge', title: 'Text från den gemensamma mallen' }, 'mall') : null),
        ),
      );
    }
    body.replaceChildren(...parts);
    body.dataset.document = docId;
    showEditions(doc.municipality, docId);
  }
  for (const old of body.querySelectorAll('.para.target')) {
    old.classList.remove('target');
    old.removeAttribute('aria-current');
  }
  const target = pid
    ? body.querySelector(`[data-pid="${CSS.escape(pid)}"]`) || body.querySelector(`[data-pid="${CSS.escape(`${docId}/${pid}`)}"]`)
    : null;
  if (target) {
    const html = state.marked.get(target.dataset.pid);
    const text = target.querySelector('p');
    if (html && !text.dataset.marked && text.firstChild?.nodeType === Node.TEXT_NODE) {
      text.firstChild.replaceWith(safeMarked(html));
      text.dataset.marked = 'true';
    }
    target.classList.add('target');
    target.setAttribute('aria-current', 'location');
    setStatus($('#doc-status'), `Stycke ${pid} är markerat.`);
    target.scrollIntoView({ block: 'center' });
    target.focus({ preventScroll: true });
  } else {
    setStatus($('#doc-status'), pid ? `Stycke ${pid} finns inte i dokumentet.` : '', Boolean(pid));
    window.scrollTo(0, 0);
    $('#doc-title').focus({ preventScroll: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Editions (issue 14): a municipality's editions and what changed between the two latest

const CHANGE_LABEL = { added: 'tillagt', removed: 'borttaget', changed: 'ändrat' };

async function showEditions(name, docId) {
  let box = $('#doc-editions');
  if (!box) {
    box = el('section', { id: 'doc-editions', class: 'editions', 'aria-label': 'Utgåvor' });
    $('#doc-body').after(box); // after the text, so a late answer never shifts the paragraph in view
  }
  box.replaceChildren();
  try {
    const { body: editions } = await api(`api/history/${encodeURIComponent(name)}`);
    const items = editions.map((e) => el('li', {}, e.document === docId ? el('strong', {}, editionText(e)) : el('a', { href: `#/dokument/${encodeURIComponent(e.document)}` }, editionText(e))));
    box.append(el('h3', {}, `Utgåvor (${editions.length})`), el('ul', {}, ...items));
    if (editions.length < 2) return;
    const { body: diff } = await api(`api/diff/${encodeURIComponent(name)}`);
    const rows = diff.changes.map((c) =>
      el('li', {}, `${CHANGE_LABEL[c.change] || c.change} ${c.category}: ${c.item}`, c.from || c.to ? ` (${c.from || '–'} → ${c.to || '–'})` : '', ' ',
        c.from_paragraph ? el('a', { href: paragraphHash(diff.from.document, c.from_paragraph) }, '¶ före') : null, ' ',
        c.to_paragraph ? el('a', { href: paragraphHash(diff.to.document, c.to_paragraph) }, '¶ efter') : null),
    );
    box.append(el('h3', {}, `Ändringar ${diff.from.version || diff.from.document} → ${diff.to.version || diff.to.document}`),
      rows.length ? el('ul', {}, ...rows) : el('p', {}, 'Inga ändringar i fakta.'));
  } catch (err) {
    box.append(el('p', { class: 'status' }, errorText(err)));
  }
}

function editionText(e) {
  return `${e.version || 'utan version'}${e.signed ? ` · undertecknad ${e.signed}` : ''}${e.latest ? ' · senaste' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Compare

async function showCompare(names) {
  await loadMunicipalities().catch((err) => setStatus($('#compare-status'), errorText(err), true));
  for (const box of document.querySelectorAll('#compare-choices input')) box.checked = names.includes(box.value);
  if (names.length < 2) {
    $('#compare-result').replaceChildren();
    setStatus($('#compare-status'), names.length ? 'Välj minst två kommuner.' : '');
    return;
  }
  setStatus($('#compare-status'), 'Jämför …');
  try {
    const query = new URLSearchParams(names.map((m) => ['m', m]));
    const { body } = await api(`api/compare?${query}`);
    const rows = Array.isArray(body) ? body : body.rows;
    const columns = (Array.isArray(body) ? Object.keys(rows[0] || {}) : body.columns).filter((c) => c !== 'attribute');
    const table = el(
      'table',
      { id: 'compare-table' },
      el('caption', { id: 'compare-caption' }, `Jämförelse: ${columns.join(', ')}`),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Uppgift'), columns.map((c) => el('th', { scope: 'col' }, c)))),
      el(
        'tbody',
        {},
        rows.map((row) =>
          el(
            'tr',
            {},
            el('th', { scope: 'row' }, row.attribute),
            columns.map((c) => {
              const value = row[c] === null || row[c] === undefined ? '' : String(row[c]);
              return el('td', { class: value === '' || value === '–' ? 'empty' : null }, value);
            }),
          ),
        ),
      ),
    );
    $('#compare-result').replaceChildren(
      el('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': 'compare-caption', tabindex: '0' }, table),
    );
    setStatus($('#compare-status'), `${columns.length} kommuner jämförda, ${rows.length} uppgifter.`);
  } catch (err) {
    $('#compare-result').replaceChildren();
    setStatus($('#compare-status'), errorText(err), true);
  }
}

function submitCompare(event) {
  event.preventDefault();
  const names = [...document.querySelectorAll('#compare-choices input:checked')].map((box) => box.value);
  if (names.length < 2 || names.length > 5) {
    setStatus($('#compare-status'), `Välj 2–5 kommuner (du har valt ${names.length}).`, true);
    return;
  }
  state.rendered = null;
  navigate(`#/jamfor?${new URLSearchParams(names.map((m) => ['m', m]))}`);
}

// ---------------------------------------------------------------------------------------------
// Topics (issue 23): municipalities × concepts as a heatmap table; a cell opens its passages

// Five steps of colour on a square-root scale (a few passages still show beside many); the colours are
// classes of style.css (the page's CSP allows no inline style), each with a text colour of AA contrast.
const heatLevel = (n, max) => (n <= 0 || max <= 0 ? 0 : Math.min(5, 1 + Math.floor((4.999 * Math.sqrt(n)) / Math.sqrt(max))));
const themes = { seq: 0, tops: null };

async function showThemes(under) {
  const seq = ++themes.seq;
  setStatus($('#themes-status'), 'Hämtar matrisen …');
  $('#themes-passages').replaceChildren();
  try {
    await loadMunicipalities().catch(() => {});
    const query = new URLSearchParams(under ? { under, keep_empty: 'true' } : { keep_empty: 'true' });
    const { body } = await api(`api/themes?${query}`);
    if (seq !== themes.seq) return;
    if (!themes.tops) {
      // the top concepts, for the choice of what to show under (from the first, unfiltered answer)
      themes.tops = under ? (await api('api/themes?keep_empty=true')).body.concepts : body.concepts;
      $('#themes-under').append(...themes.tops.map((c) => el('option', { value: c.id }, `under ${c.label}`)));
    }
    $('#themes-under').value = under;
    renderThemes(body);
  } catch (err) {
    if (seq !== themes.seq) return;
    $('#themes-result').replaceChildren();
    setStatus($('#themes-status'), errorText(err), true);
  }
}

function renderThemes(body) {
  const max = Math.max(0, ...body.rows.flatMap((r) => body.concepts.map((c) => r.cells[c.id].passages)));
  const scope = body.under ? `under ${body.under.label}` : 'toppbegreppen';
  const table = el(
    'table',
    { id: 'themes-table', class: 'heatmap', role: 'grid', 'aria-labelledby': 'themes-caption', 'aria-describedby': 'themes-hint' },
    el('caption', { id: 'themes-caption' }, `Egna stycken per kommun och begrepp (${scope})`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Kommun'), body.concepts.map((c) => el('th', { scope: 'col', class: 'concept', title: c.label_en }, el('span', {}, c.label))))),
    el(
      'tbody',
      {},
      body.rows.map((row, i) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, row.municipality),
          body.concepts.map((c, j) => {
            const n = row.cells[c.id].passages;
            const label = `${row.municipality}, ${c.label}: ${n} ${n === 1 ? 'stycke' : 'stycken'}`;
            return el(
              'td',
              { role: 'gridcell' },
              el(
                'button',
                {
                  type: 'button',
                  class: `heat heat-${heatLevel(n, max)}`,
                  tabindex: i === 0 && j === 0 ? '0' : '-1',
                  'aria-label': label,
                  title: label,
                  'data-m': row.municipality,
                  'data-concept': c.id,
                  'data-label': c.label,
                  'data-passages': String(n),
                  onclick: () => openCell(row.municipality, c),
                },
                String(n),
              ),
            );
          }),
        ),
      ),
    ),
  );
  table.addEventListener('keydown', moveInGrid);
  const legend = el(
    'p',
    { class: 'heat-legend', 'aria-hidden': 'true' },
    'Färg: ',
    [0, 1, 2, 3, 4, 5].map((level) => el('span', { class: `heat heat-${level}` }, legendText(level, max))),
  );
  $('#themes-result').replaceChildren(el('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': 'themes-caption' }, table), legend);
  const note = body.note ? ` ${body.note}.` : '';
  setStatus($('#themes-status'), `${body.rows.length} kommuner × ${body.concepts.length} begrepp; välj en ruta för styckena.${note}`);
}

/** The passages a colour step stands for, for the legend ("0", "1–2", …). */
function legendText(level, max) {
  if (level === 0) return '0';
  const counts = [];
  for (let n = 1; n <= max; n++) if (heatLevel(n, max) === level) counts.push(n);
  if (!counts.length) return '–';
  return counts.length === 1 ? String(counts[0]) : `${counts[0]}–${counts.at(-1)}`;
}

/** Arrow keys, Home and End move between the cells (one of them is in the Tab order at a time). */
function moveInGrid(event) {
  const cell = event.target.closest('button.heat');
  if (!cell) return;
  const rows = [...event.currentTarget.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('button.heat')]);
  const i = rows.findIndex((r) => r.includes(cell));
  const j = rows[i].indexOf(cell);
  const moves = {
    ArrowRight: [i, j + 1], ArrowLeft: [i, j - 1], ArrowDown: [i + 1, j], ArrowUp: [i - 1, j],
    Home: event.ctrlKey ? [0, 0] : [i, 0], End: event.ctrlKey ? [rows.length - 1, rows[0].length - 1] : [i, rows[i].length - 1],
  };
  const to = moves[event.key];
  if (!to) return;
  event.preventDefault();
  const [r, c] = [Math.max(0, Math.min(rows.length - 1, to[0])), Math.max(0, Math.min(rows[0].length - 1, to[1]))];
  cell.tabIndex = -1;
  rows[r][c].tabIndex = 0;
  rows[r][c].focus();
}

async function openCell(municipality, concept) {
  const box = $('#themes-passages');
  for (const old of document.querySelectorAll('#themes-table button.heat[aria-pressed]')) old.removeAttribute('aria-pressed');
  document.querySelector(`#themes-table button.heat[data-m="${CSS.escape(municipality)}"][data-concept="${CSS.escape(concept.id)}"]`)
    ?.setAttribute('aria-pressed', 'true');
  box.replaceChildren(el('p', { class: 'status' }, 'Hämtar styckena …'));
  try {
    const query = new URLSearchParams({ m: municipality, concept: concept.id });
    const { body } = await api(`api/themes/passages?${query}`);
    const n = body.passages.length;
    const items = body.passages.map((p) =>
      el(
        'li',
        {},
        el('p', { class: 'snippet' }, safeMarked(p.html)),
        el(
          'p',
          { class: 'source' },
          'Källa: ',
          paragraphLink(p),
          el('span', { class: 'meta' }, ` · ${[...new Set(p.concepts.map((t) => t.label))].join(', ')}`),
        ),
      ),
    );
    box.replaceChildren(
      el('h3', { id: 'themes-passages-title', tabindex: '-1' }, `${body.municipality} × ${body.concept.label}: ${n} ${n === 1 ? 'stycke' : 'stycken'}`),
      n ? el('ul', { class: 'evidence', 'aria-labelledby': 'themes-passages-title' }, items) : el('p', {}, 'Kommunens egen text nämner inte begreppet.'),
    );
    box.dataset.cell = `${body.municipality}:${body.concept.id}`;
  } catch (err) {
    box.replaceChildren(el('p', { class: 'status error' }, errorText(err)));
  }
}

// ---------------------------------------------------------------------------------------------
// Network (graphology + sigma.js, vendored; loaded only when the view opens)

// The view opens small (municipalities with twins/pioneers, and commitments); the other types are a click away.
const network = { renderer: null, loading: null, hidden: new Set(['agency', 'programme', 'concept', 'organisation']) };
const shortLabel = (label) => (label.length > 40 ? `${label.slice(0, 38).trimEnd()} …` : label);
const TYPE_NAMES = {
  municipality: 'kommuner',
  agency: 'myndigheter',
  programme: 'program',
  commitment: 'åtaganden',
  concept: 'begrepp',
  organisation: 'organisationer',
};
const RELATION_NAMES = {
  'twin-of': 'tvilling till',
  adopts: 'antar åtagande',
  'works-on': 'nämner i egen text',
  'similar-to': 'liknar',
  'mentions-organisation': 'nämner',
  'party-to': 'part i',
};

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = el('script', { src });
    script.addEventListener('load', resolve);
    script.addEventListener('error', () => reject(new Error(`kunde inte ladda ${src}`)));
    document.head.append(script);
  });
}

/** A deterministic force-directed layout in the manner of ForceAtlas2 (repulsion grows with degree, linear
 * attraction, gravity towards the centre), so hubs spread apart and leaves stay near their hub. Small graphs only. */
function layout(nodes, edges) {
  const n = nodes.length;
  const index = new Map(nodes.map((node, i) => [node.id, i]));
  const links = edges.map((e) => [index.get(e.source), index.get(e.target)]).filter(([a, b]) => a !== undefined && b !== undefined);
  const mass = nodes.map(() => 1);
  for (const [a, b] of links) {
    mass[a] += 1;
    mass[b] += 1;
  }
  const pos = nodes.map((_, i) => [Math.cos((2 * Math.PI * i) / n) * 10, Math.sin((2 * Math.PI * i) / n) * 10]);
  const iterations = 600;
  for (let it = 0; it < iterations; it++) {
    const force = pos.map(() => [0, 0]);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dx = pos[i][0] - pos[j][0];
        const dy = pos[i][1] - pos[j][1];
        const d2 = Math.max(dx * dx + dy * dy, 0.01);
        const f = (4 * mass[i] * mass[j]) / d2; // magnitude ∝ 1/d
        force[i][0] += dx * f; force[i][1] += dy * f;
        force[j][0] -= dx * f; force[j][1] -= dy * f;
      }
    }
    for (const [a, b] of links) {
      const dx = pos[a][0] - pos[b][0];
      const dy = pos[a][1] - pos[b][1];
      force[a][0] -= dx; force[a][1] -= dy;
      force[b][0] += dx; force[b][1] += dy;
    }
    const temperature = 3 * (1 - it / iterations) + 0.02;
    for (let i = 0; i < n; i++) {
      const d = Math.hypot(pos[i][0], pos[i][1]) || 1;
      force[i][0] -= (pos[i][0] / d) * mass[i]; // gravity keeps unconnected nodes in the picture
      force[i][1] -= (pos[i][1] / d) * mass[i];
      const len = Math.hypot(force[i][0], force[i][1]) || 1;
      const step = Math.min(len / mass[i], temperature);
      pos[i][0] += (force[i][0] / len) * step;
      pos[i][1] += (force[i][1] / len) * step;
    }
  }
  return pos;
}

async function showNetwork() {
  network.loading ??= (async () => {
    setStatus($('#network-status'), 'Ritar nätverket …');
    const [{ body }] = await Promise.all([
      api('api/network'),
      loadScript('static/vendor/graphology/graphology.umd.min.js').then(() => loadScript('static/vendor/sigma/sigma.min.js')),
    ]);
    const labels = new Map(body.nodes.map((n) => [n.id, n.label]));
    const graph = new window.graphology.MultiDirectedGraph();
    for (const node of body.nodes) {
      graph.addNode(node.id, {
        label: shortLabel(node.label),
        fullLabel: node.label,
        kind: node.type,
        color: node.color,
        size: Math.max(4, (node.size || 6) / 2.5),
        x: 0,
        y: 0,
      });
    }
    for (const edge of body.edges) {
      if (!graph.hasNode(edge.source) || !graph.hasNode(edge.target)) continue;
      const twin = edge.relation === 'twin-of';
      graph.addEdge(edge.source, edge.target, {
        relation: edge.relation,
        color: twin ? '#333333' : '#c4c4c4',
        size: twin ? 3 : 1,
        type: 'arrow',
        zIndex: twin ? 1 : 0,
      });
    }
    const types = [...new Map(body.nodes.map((n) => [n.type, n.color])).entries()];
    $('#network-types').replaceChildren(
      ...types.map(([type, colour]) =>
        el(
          'label',
          {},
          el('input', { type: 'checkbox', value: type, checked: !network.hidden.has(type), onchange: () => toggleType(type) }),
          el('span', { class: 'swatch', style: { backgroundColor: colour }, 'aria-hidden': 'true' }),
          ` ${TYPE_NAMES[type] || type} (${body.nodes.filter((n) => n.type === type).length})`,
        ),
      ),
    );
    $('#network-table').replaceChildren(
      el(
        'div',
        { class: 'table-wrap', role: 'region', 'aria-label': 'Kopplingar', tabindex: '0' },
        el(
          'table',
          {},
          el('caption', {}, `${body.edges.length} kopplingar`),
          el('thead', {}, el('tr', {}, ['Från', 'Koppling', 'Till'].map((h) => el('th', { scope: 'col' }, h)))),
          el(
            'tbody',
            {},
            body.edges.map((e) =>
              el('tr', {}, el('td', {}, labels.get(e.source) ?? e.source), el('td', {}, RELATION_NAMES[e.relation] || e.relation), el('td', {}, labels.get(e.target) ?? e.target)),
            ),
          ),
        ),
      ),
    );
    network.data = body;
    network.graph = graph;
  })();
  try {
    await network.loading;
  } catch (err) {
    network.loading = null;
    setStatus($('#network-status'), errorText(err), true);
    return;
  }
  if (!network.renderer) {
    placeNodes();
    const container = $('#network-graph');
    try {
      network.renderer = new window.Sigma(network.graph, container, {
        renderLabels: true,
        labelRenderedSizeThreshold: 0,
        labelSize: 12,
        labelDensity: 2,
        labelGridCellSize: 60,
        labelFont: 'system-ui, "DejaVu Sans", sans-serif',
        defaultEdgeType: 'arrow',
        zIndex: true,
        nodeReducer: (node, data) => (network.hidden.has(data.kind) ? { ...data, hidden: true } : data),
        edgeReducer: (edge, data) => {
          const [s, t] = network.graph.extremities(edge);
          const hide = network.hidden.has(network.graph.getNodeAttribute(s, 'kind')) || network.hidden.has(network.graph.getNodeAttribute(t, 'kind'));
          return hide ? { ...data, hidden: true } : data;
        },
      });
    } catch (err) {
      setStatus($('#network-status'), `Nätverket kan inte ritas i den här webbläsaren (${err.message}); se tabellen nedan.`, true);
      $('#network-edges').open = true;
      return;
    }
    container.dataset.nodes = String(network.graph.order);
    container.dataset.edges = String(network.graph.size);
  } else {
    network.renderer.refresh();
  }
  updateNetworkStatus();
}

/** Lay out the nodes that are shown, so that each choice of types gets a readable picture. */
function placeNodes() {
  const { nodes, edges } = network.data;
  const shown = nodes.filter((n) => !network.hidden.has(n.type));
  const ids = new Set(shown.map((n) => n.id));
  const positions = layout(shown, edges.filter((e) => ids.has(e.source) && ids.has(e.target)));
  shown.forEach((node, i) => network.graph.mergeNodeAttributes(node.id, { x: positions[i][0], y: positions[i][1] }));
}

function toggleType(type) {
  if (network.hidden.has(type)) network.hidden.delete(type);
  else network.hidden.add(type);
  placeNodes();
  network.renderer?.refresh();
  updateNetworkStatus();
}

function updateNetworkStatus() {
  const { nodes, edges } = network.data;
  const shownNodes = nodes.filter((n) => !network.hidden.has(n.type));
  const shown = new Set(shownNodes.map((n) => n.id));
  const shownEdges = edges.filter((e) => shown.has(e.source) && shown.has(e.target));
  const text =
    shownNodes.length === nodes.length
      ? `${nodes.length} noder och ${edges.length} kopplingar`
      : `Visar ${shownNodes.length} av ${nodes.length} noder och ${shownEdges.length} av ${edges.length} kopplingar`;
  setStatus($('#network-status'), `Nätverk: ${text}.`);
  $('#network-status').dataset.nodes = String(nodes.length);
}

// ---------------------------------------------------------------------------------------------
// SPARQL

let examplesLoaded = null;
function loadExamples() {
  examplesLoaded ??= api('api/query').then(({ body }) => {
    state.examples = new Map(body.map((q) => [q.name, q]));
    $('#sparql-example').append(...body.map((q) => el('option', { value: q.name }, `${q.name} – ${q.description}`)));
    return body;
  });
  return examplesLoaded;
}

function chooseExample(name) {
  const example = state.examples?.get(name);
  $('#sparql-example').value = example ? name : '';
  $('#sparql-example-description').textContent = example ? example.description : '';
  if (example) $('#sparql-query').value = example.query;
}

async function showSparql(name) {
  try {
    await loadExamples();
  } catch (err) {
    setStatus($('#sparql-status'), errorText(err), true);
    return;
  }
  if (name) chooseExample(name);
  else if (!$('#sparql-query').value) chooseExample(state.examples.keys().next().value);
}

function bindingText(term) {
  if (!term) return '';
  return term.value;
}

async function runSparql(event) {
  event?.preventDefault();
  const query = $('#sparql-query').value.trim();
  if (!query) {
    setStatus($('#sparql-status'), 'Skriv en SPARQL-fråga eller välj ett exempel.', true);
    return;
  }
  const button = $('#sparql-button');
  button.disabled = true;
  setStatus($('#sparql-status'), 'Kör frågan …');
  const started = performance.now();
  try {
    const { body, type } = await api('sparql', {
      method: 'POST',
      headers: { Accept: 'application/sparql-results+json, text/turtle;q=0.9' },
      body: new URLSearchParams({ query }),
    });
    const ms = Math.round(performance.now() - started);
    const out = $('#sparql-result');
    if (typeof body === 'string' || !type.includes('json')) {
      out.replaceChildren(el('pre', { class: 'turtle', tabindex: '0' }, typeof body === 'string' ? body : JSON.stringify(body, null, 2)));
      setStatus($('#sparql-status'), `Grafresultat (${ms} ms).`);
    } else if (typeof body.boolean === 'boolean') {
      out.replaceChildren(el('p', { class: 'answer' }, body.boolean ? 'Ja (true)' : 'Nej (false)'));
      setStatus($('#sparql-status'), `Svar: ${body.boolean ? 'ja' : 'nej'} (${ms} ms).`);
    } else {
      const vars = body.head.vars;
      const rows = body.results.bindings;
      const table = el(
        'table',
        { id: 'sparql-table' },
        el('caption', { id: 'sparql-caption' }, `${rows.length} rader`),
        el('thead', {}, el('tr', {}, vars.map((v) => el('th', { scope: 'col' }, v)))),
        el('tbody', {}, rows.map((row) => el('tr', {}, vars.map((v) => el('td', {}, bindingText(row[v])))))),
      );
      out.replaceChildren(el('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': 'sparql-caption', tabindex: '0' }, table));
      setStatus($('#sparql-status'), `${rows.length} rader (${ms} ms).`);
    }
  } catch (err) {
    $('#sparql-result').replaceChildren();
    setStatus($('#sparql-status'), errorText(err), true);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

function init() {
  $('#search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    submitSearch({ push: true });
  });
  $('#q').addEventListener('input', () => {
    clearTimeout(search.timer);
    if ($('#q').value.trim().length >= 3) search.timer = setTimeout(() => submitSearch({ push: false }), 350);
  });
  for (const control of document.querySelectorAll('#search-form select, #search-form input[type="radio"]')) {
    control.addEventListener('change', () => $('#q').value.trim() && submitSearch({ push: false }));
  }
  $('#compare-form').addEventListener('submit', submitCompare);
  $('#themes-under').addEventListener('change', () => {
    const under = $('#themes-under').value;
    navigate(under ? `#/teman?${new URLSearchParams({ under })}` : '#/teman');
  });
  $('#sparql-form').addEventListener('submit', runSparql);
  $('#sparql-example').addEventListener('change', () => chooseExample($('#sparql-example').value));
  $('#sparql-query').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) runSparql(event);
  });
  $('#skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    $('#main').focus();
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('popstate', route);
  route().finally(() => {
    document.body.dataset.ready = 'true'; // for tests and scripts: the first view has rendered
  });
}

init();
