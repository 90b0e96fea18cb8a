// GET /docs: Swagger UI (swagger-ui-dist, served by this SEPP, no CDN) over the generated
// openapi.json next to this page. The N32 operations are served on the N32 and NF-facing
// listeners, not on this admin listener, so "Try it out" is off and nothing is sent from here;
// the online validator badge is off too (no request leaves this origin).
window.ui = window.SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  supportedSubmitMethods: [],
  defaultModelsExpandDepth: 0,
  docExpansion: 'list',
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  onComplete: () => {
    const title = window.ui.specSelectors.info().get('title');
    if (title) document.title = title;
  },
});
