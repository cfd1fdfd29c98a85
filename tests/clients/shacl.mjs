// Validate DATA (+ the ontology, as pySHACL's ont_graph) against SHAPES with rdf-validate-shacl.
import fs from 'node:fs';
import rdf from 'rdf-ext';
import ParserN3 from '@rdfjs/parser-n3';
import SHACLValidator from 'rdf-validate-shacl';

async function load(path) {
  const parser = new ParserN3({ factory: rdf });
  return rdf.dataset().import(parser.import(fs.createReadStream(path)));
}

const [shapesPath, ontologyPath, ...dataPaths] = process.argv.slice(2);
const shapes = await load(shapesPath);
// rdf-validate-shacl has no SHACL-SPARQL: leave out the sh:sparql constraints (pySHACL checks those)
for (const quad of [...shapes.match(null, rdf.namedNode('http://www.w3.org/ns/shacl#sparql'))]) shapes.delete(quad);
const data = await load(ontologyPath);
for (const path of dataPaths) data.addAll(await load(path));
const validator = new SHACLValidator(shapes);
const report = await validator.validate(data);
process.stdout.write(JSON.stringify({ conforms: report.conforms, results: report.results.length }));
