// Render a klimatgraf GEXF the way a browser graph view shows it: graphology-gexf parses it,
// ForceAtlas2 lays it out, sigma.js draws it in headless Chromium, and we save a PNG.
// Usage: node render_network.mjs IN.gexf OUT.png
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import Graph from 'graphology';
import gexf from 'graphology-gexf';
import forceAtlas2 from 'graphology-layout-forceatlas2';
import { chromium } from 'playwright-core';

const [input, output] = process.argv.slice(2);
const graph = gexf.parse(Graph, fs.readFileSync(input, 'utf-8'));
let i = 0;
graph.forEachNode((node) => {  // deterministic start: nodes on a circle in file order
  const angle = (2 * Math.PI * i++) / graph.order;
  graph.mergeNodeAttributes(node, { x: Math.cos(angle), y: Math.sin(angle) });
});
forceAtlas2.assign(graph, { iterations: 600, settings: { ...forceAtlas2.inferSettings(graph), barnesHutOptimize: false, gravity: 1.5 } });
graph.forEachNode((node, attrs) => graph.mergeNodeAttributes(node, { size: Math.max(3, attrs.size / 3), type: 'circle', kind: attrs.type }));

const legend = [...new Map([...graph.nodeEntries()].map(({ attributes: a }) => [a.kind, a.color])).entries()]
  .map(([kind, colour]) => `<span><i style="background:${colour}"></i>${kind}</span>`).join('');
const here = path.dirname(new URL(import.meta.url).pathname);
const script = (p) => fs.readFileSync(path.join(here, 'node_modules', p), 'utf-8');
const html = `<!doctype html><html lang="sv"><meta charset="utf-8"><title>klimatgraf network</title>
<style>body{margin:0;font:14px sans-serif;background:#fff}#g{width:1400px;height:950px}
#l{position:absolute;top:8px;left:12px}#l span{margin-right:14px}#l i{display:inline-block;width:11px;height:11px;border-radius:6px;margin-right:4px}</style>
<div id="l">${legend}</div><div id="g"></div>
<script>${script('graphology/dist/graphology.umd.min.js')}</script>
<script>${script('sigma/dist/sigma.min.js')}</script>
<script>
const g = graphology.Graph.from(${JSON.stringify(graph.export())});
g.forEachEdge((e) => g.mergeEdgeAttributes(e, { color: '#c8c8c8', size: 1, type: 'arrow' }));
window.renderer = new Sigma(g, document.getElementById('g'), { renderLabels: true, labelRenderedSizeThreshold: 0, labelSize: 11, defaultEdgeType: 'arrow' });
</script></html>`;
const page_file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kg-render-')), 'index.html');
fs.writeFileSync(page_file, html);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
         '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
page.on('pageerror', (err) => { console.error(err); process.exitCode = 1; });
await page.goto('file://' + page_file);
await page.waitForFunction(() => window.renderer !== undefined);
await page.waitForTimeout(500);
await page.screenshot({ path: output });
await browser.close();
console.error(`wrote ${output}: ${graph.order} nodes, ${graph.size} edges`);
