// Security keys and passkeys (WebAuthn): the options come from the service as JSON,
// the browser asks the key, and the key's answer goes in the page's own form (with its
// CSRF field). Shown only where the browser has WebAuthn and its JSON helpers.
const supported =
  window.PublicKeyCredential !== undefined &&
  typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function";

function start(root) {
  const form = root.querySelector("form");
  const button = root.querySelector(".app-security-key-button");
  const problem = root.querySelector(".app-security-key-problem");
  root.hidden = false;
  button.addEventListener("click", async () => {
    problem.textContent = "";
    button.disabled = true;
    try {
      const answer = await fetch(root.dataset.options, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!answer.ok) {
        throw new Error("no options");
      }
      const options = await answer.json();
      const credential =
        root.dataset.mode === "register"
          ? await navigator.credentials.create({
              publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
            })
          : await navigator.credentials.get({
              publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
            });
      form.querySelector("input[name=credential]").value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch {
      problem.textContent =
        "The security key was not used. Try again, or use another way.";
      button.disabled = false;
    }
  });
}

if (supported) {
  document.querySelectorAll("[data-module=app-security-key]").forEach(start);
}
