// What every card form shares (paying a deposit, saving a new card, subscribing): Stripe.js with
// the page's publishable key, the card field mounted in #card-element, the error line
// #card-errors beside it, and, for forms that talk to the server in JSON, a POST carrying the
// CSRF token. `cardForm(formId, buttonId, failure)` returns null when the page has no such form
// or Stripe.js did not load.
window.cardForm = function (formId, buttonId, failure) {
  "use strict";
  var form = document.getElementById(formId);
  if (!form || typeof Stripe === "undefined") { return null; }
  var stripe = Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById(buttonId);

  return {
    form: form, stripe: stripe, card: card, button: button,
    // Starting over: the button is pressed, the error line cleared.
    begin: function () {
      button.disabled = true;
      errors.textContent = "";
    },
    // The error in words (the server's or Stripe's, else `failure`), and the button back.
    fail: function (message) {
      errors.textContent = message || failure;
      button.disabled = false;
    },
    // POST `data` as JSON with the form's CSRF token; resolves to {ok, body} (body {} if none).
    post: function (url, data) {
      return fetch(url, {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf},
        body: JSON.stringify(data || {}),
        credentials: "same-origin",
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return {ok: response.ok, body: body};
        });
      });
    },
  };
};
