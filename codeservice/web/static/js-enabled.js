// GOV.UK Frontend's page template does this in an inline script; it lives here so the
// Content-Security-Policy can forbid inline script altogether.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
