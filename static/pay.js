// Card payment: Stripe.js tokenises the card (its number never reaches us); the server attaches
// the token to the PaymentIntent it created for the exact amount and confirms it; if the bank
// asks for 3-D Secure, Stripe.js confirmCardPayment() completes it. Then the server checks.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("payment-form");
    if (!form || typeof Stripe === "undefined") { return; }
    var stripe = Stripe(form.dataset.publishableKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("pay-button");

    function fail(message) {
      errors.textContent = message || "The payment did not go through. Please try again.";
      button.disabled = false;
    }

    function post(url, data) {
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
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      button.disabled = true;
      errors.textContent = "";
      var started = await post(form.dataset.startUrl);
      if (!started.ok) { return fail(started.body.error); }
      var tokenResult = await stripe.createToken(card);
      if (tokenResult.error || !tokenResult.token) {
        return fail(tokenResult.error && tokenResult.error.message);
      }
      var charged = await post(started.body.card_url, {token: tokenResult.token.id});
      if (!charged.ok) { return fail(charged.body.error); }
      if (charged.body.status === "requires_action") {
        var confirmed = await stripe.confirmCardPayment(charged.body.client_secret);
        if (confirmed.error) { return fail(confirmed.error.message); }
      }
      var done = await post(started.body.done_url);
      window.location.assign(done.body.next_url || window.location.href);
    });
  });
})();
