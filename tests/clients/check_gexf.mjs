// Parse a GEXF file with graphology-gexf (the parser Gephi Lite uses) and print a JSON summary.
import fs from 'node:fs';
import Graph from 'graphology';
import gexf from 'graphology-gexf';

const xml = fs.readFileSync(process.argv[2], 'utf-8');
const graph = gexf.parse(Graph, xml, { addMissingNodes: false });
const nodes = {};
graph.forEachNode((key, attrs) => { nodes[key] = attrs; });
const edges = [];
graph.forEachEdge((key, attrs, source, target) => { edges.push({ source, target, ...attrs }); });
process.stdout.write(JSON.stringify({ order: graph.order, size: graph.size, type: graph.type, nodes, edges }));
