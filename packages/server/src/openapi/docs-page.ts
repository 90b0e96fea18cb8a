import { createHash } from 'node:crypto';

/**
 * GET /docs: one self-contained HTML page (no external script, style, font or CDN: SEPPs run
 * offline) that fetches `openapi.json` next to it and renders the operations and the schemas as
 * collapsible sections. The script builds the page with DOM calls and textContent only, never
 * innerHTML, so nothing in the document can inject markup.
 */
export const DOCS_SCRIPT = String.raw`(function () {
  'use strict';

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attributes[name];
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function refName(ref) {
    return ref.slice(ref.lastIndexOf('/') + 1);
  }

  function schemaLink(name) {
    return el('a', { href: '#schema-' + name, 'class': 'ref', text: name });
  }

  function joined(nodes, separator) {
    var out = [];
    nodes.forEach(function (node, index) {
      if (index > 0) out.push(separator);
      out.push(node);
    });
    return out;
  }

  /** A schema as a short phrase: a link for a reference, "array of X", "string"... */
  function typeOf(schema) {
    if (!schema || Object.keys(schema).length === 0) return el('span', { 'class': 'any', text: 'any JSON value' });
    if (schema.$ref) return schemaLink(refName(schema.$ref));
    if (schema.oneOf || schema.anyOf) {
      var alternatives = (schema.oneOf || schema.anyOf).map(typeOf);
      return el('span', {}, [schema.oneOf ? 'one of ' : 'any of '].concat(joined(alternatives, ' | ')));
    }
    if (schema.type === 'array') return el('span', {}, ['array of ', typeOf(schema.items)]);
    if (schema.type === 'object' && schema.additionalProperties) return el('span', {}, ['map of ', typeOf(schema.additionalProperties)]);
    return el('span', { text: schema.type + (schema.enum ? ' (' + schema.enum.join(', ') + ')' : '') });
  }

  function constraints(schema) {
    var target = schema && schema.type === 'array' && schema.items && !schema.items.$ref ? schema.items : schema;
    var out = [];
    [schema, target].forEach(function (s, index) {
      if (!s || (index === 1 && s === schema)) return;
      var prefix = index === 1 ? 'items: ' : '';
      if (s.pattern) out.push(prefix + 'pattern ' + s.pattern);
      if (s.minLength !== undefined) out.push(prefix + 'minLength ' + s.minLength);
      if (s.maxLength !== undefined) out.push(prefix + 'maxLength ' + s.maxLength);
      if (s.minimum !== undefined) out.push(prefix + 'minimum ' + s.minimum);
      if (s.maximum !== undefined) out.push(prefix + 'maximum ' + s.maximum);
      if (s.minItems !== undefined) out.push(prefix + 'minItems ' + s.minItems);
      if (s.maxItems !== undefined) out.push(prefix + 'maxItems ' + s.maxItems);
      if (s.minProperties !== undefined) out.push(prefix + 'minProperties ' + s.minProperties);
    });
    return out.join('; ');
  }

  function paragraphs(text) {
    return String(text || '').split('\n\n').filter(Boolean).map(function (part) {
      return el('p', { text: part });
    });
  }

  function table(headings, rows) {
    return el('table', {}, [
      el('thead', {}, [el('tr', {}, headings.map(function (heading) { return el('th', { text: heading }); }))]),
      el('tbody', {}, rows.map(function (cells) {
        return el('tr', {}, cells.map(function (cell) {
          return el('td', {}, [typeof cell === 'string' ? document.createTextNode(cell) : cell]);
        }));
      })),
    ]);
  }

  function bodyOf(content) {
    if (!content) return el('span', { 'class': 'none', text: 'no body' });
    return el('span', {}, joined(Object.keys(content).map(function (mediaType) {
      return el('span', {}, [typeOf(content[mediaType].schema), ' (' + mediaType + ')']);
    }), ', '));
  }

  function operationSection(api, path, method, operation) {
    var rows = Object.keys(operation.responses).map(function (status) {
      var response = operation.responses[status];
      if (response.$ref) response = (api.components.responses || {})[refName(response.$ref)] || {};
      return [status, response.description || '', bodyOf(response.content)];
    });
    var parameters = (operation.parameters || []).map(function (parameter) {
      return [parameter.name, parameter.in, typeOf(parameter.schema), parameter.required ? 'yes' : 'no', parameter.description || ''];
    });
    return el('details', { 'class': 'operation', id: 'op-' + operation.operationId }, [
      el('summary', {}, [
        el('span', { 'class': 'method ' + method, text: method.toUpperCase() }),
        el('code', { 'class': 'path', text: path }),
        el('span', { 'class': 'summary', text: operation.summary || '' }),
      ]),
      el('div', { 'class': 'body' }, [
        el('p', { 'class': 'meta', text: 'operationId ' + operation.operationId }),
      ].concat(paragraphs(operation.description), [
        parameters.length ? el('h4', { text: 'Parameters' }) : null,
        parameters.length ? table(['Name', 'In', 'Schema', 'Required', 'Description'], parameters) : null,
        el('h4', { text: 'Request body' }),
        operation.requestBody ? el('p', {}, [bodyOf(operation.requestBody.content)]) : el('p', { 'class': 'none', text: 'none' }),
        el('h4', { text: 'Responses' }),
        table(['Status', 'Description', 'Body'], rows),
      ])),
    ]);
  }

  function schemaSection(name, schema) {
    var content = paragraphs(schema.description);
    var kind = 'object';
    if (schema.properties) {
      var required = schema.required || [];
      content.push(table(['Property', 'Type', 'Required', 'Constraints'], Object.keys(schema.properties).map(function (property) {
        var value = schema.properties[property];
        return [el('code', { text: property }), typeOf(value), required.indexOf(property) >= 0 ? 'yes' : 'no', constraints(value)];
      })));
      if (Object.keys(schema.properties).length === 0) content.push(el('p', { 'class': 'none', text: 'no properties' }));
    }
    if (schema.anyOf) {
      kind = 'open enumeration';
      schema.anyOf.forEach(function (alternative) {
        if (alternative.enum) content.push(el('ul', { 'class': 'enum' }, alternative.enum.map(function (value) { return el('li', {}, [el('code', { text: value })]); })));
      });
      content.push(el('p', { 'class': 'meta', text: 'Any other string is accepted and carried as it is.' }));
    }
    if (schema.oneOf) {
      kind = 'one of';
      content.push(el('p', {}, [typeOf(schema)]));
    }
    return el('details', { 'class': 'schema', id: 'schema-' + name }, [
      el('summary', {}, [el('code', { text: name }), el('span', { 'class': 'kind', text: kind })]),
      el('div', { 'class': 'body' }, content),
    ]);
  }

  function render(api, root) {
    var info = api.info || {};
    var operations = [];
    Object.keys(api.paths || {}).forEach(function (path) {
      Object.keys(api.paths[path]).forEach(function (method) {
        operations.push({ path: path, method: method, operation: api.paths[path][method] });
      });
    });
    var tags = (api.tags || []).map(function (tag) {
      return el('section', { 'class': 'tag' }, [
        el('h3', { text: tag.name }),
        el('p', { 'class': 'meta', text: tag.description || '' }),
      ].concat(operations.filter(function (entry) {
        return (entry.operation.tags || []).indexOf(tag.name) >= 0;
      }).map(function (entry) {
        return operationSection(api, entry.path, entry.method, entry.operation);
      })));
    });
    var schemas = api.components && api.components.schemas ? api.components.schemas : {};
    root.textContent = '';
    [
      el('h1', { text: info.title || 'OpenAPI' }),
      el('p', { 'class': 'meta', text: 'OpenAPI ' + api.openapi + ', version ' + info.version + ' - ' }, [el('a', { href: 'openapi.json', text: 'openapi.json' })]),
      el('p', { text: info.description || '' }),
      el('p', { 'class': 'controls' }, [
        el('button', { type: 'button', 'data-open': 'true', text: 'Expand all' }),
        el('button', { type: 'button', 'data-open': 'false', text: 'Collapse all' }),
      ]),
      el('h2', { text: 'Operations' }),
    ].concat(tags, [
      el('h2', { text: 'Schemas' }),
    ], Object.keys(schemas).map(function (name) { return schemaSection(name, schemas[name]); })).forEach(function (node) {
      root.appendChild(node);
    });
  }

  function openTarget() {
    var id = decodeURIComponent(String(location.hash || '').slice(1));
    var target = id ? document.getElementById(id) : null;
    if (target && target.tagName === 'DETAILS') {
      target.open = true;
      target.scrollIntoView();
    }
  }

  var root = document.getElementById('app');
  root.addEventListener('click', function (event) {
    var button = event.target;
    if (!button || !button.getAttribute || button.getAttribute('data-open') === null) return;
    var open = button.getAttribute('data-open') === 'true';
    Array.prototype.forEach.call(document.querySelectorAll('details'), function (details) { details.open = open; });
  });
  window.addEventListener('hashchange', openTarget);
  return fetch('openapi.json', { headers: { accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    })
    .then(function (api) {
      render(api, root);
      openTarget();
    })
    .catch(function (error) {
      root.textContent = 'Could not load openapi.json: ' + error.message;
    });
})();`;

const STYLE = `
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 4rem; color: #1d2330; }
  h1 { margin-bottom: .2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d8dde6; } h3 { margin: 1.4rem 0 .2rem; } h4 { margin: 1rem 0 .3rem; }
  code { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
  details { border: 1px solid #d8dde6; border-radius: 6px; margin: .4rem 0; background: #fff; }
  details[open] { background: #fbfcfe; }
  summary { cursor: pointer; padding: .45rem .7rem; display: flex; gap: .8rem; align-items: baseline; }
  .body { padding: 0 1rem .8rem; }
  .method { font: bold 12px/1 ui-monospace, Menlo, monospace; padding: .3rem .5rem; border-radius: 4px; color: #fff; min-width: 4.5rem; text-align: center; }
  .method.get { background: #2f7d32; } .method.post { background: #1f5fa8; } .method.options { background: #6b4fa1; } .method.put, .method.patch { background: #a86a1f; } .method.delete { background: #a82f2f; }
  .path { font-weight: 600; } .summary, .kind, .meta, .none { color: #5b6475; } .kind { font-size: 13px; }
  table { border-collapse: collapse; width: 100%; margin: .3rem 0; } th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #e6e9ef; } th { font-weight: 600; background: #f2f4f8; }
  td:last-child { word-break: break-all; } a.ref { font-family: ui-monospace, Menlo, monospace; font-size: 13px; }
  ul.enum { columns: 3; } button { margin-right: .5rem; }
`;

/** The Content-Security-Policy of the page: its own inline script and style, and openapi.json; nothing else. */
export const DOCS_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(DOCS_SCRIPT).digest('base64')}'`,
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function docsPage(title: string): string {
  const escaped = title.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escaped}</title>
<style>${STYLE}</style>
</head>
<body>
<main id="app"><p>Loading openapi.json…</p></main>
<script>${DOCS_SCRIPT}</script>
</body>
</html>
`;
}
